package dataset

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"

	"github.com/cxrkit/cxrkit/imaging"
)

// imageExtRank ranks the image file extensions an image folder is searched
// for, in order of preference when one id has several files; -1 for other
// files.
func imageExtRank(name string) int {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".png":
		return 0
	case ".jpg":
		return 1
	case ".jpeg":
		return 2
	case ".dcm":
		return 3
	case ".dicom":
		return 4
	}
	return -1
}

// stripImageExt turns a file name into an image id ("00013118_008.png" →
// "00013118_008"); other names are returned trimmed.
func stripImageExt(name string) string {
	name = strings.TrimSpace(name)
	if imageExtRank(name) >= 0 {
		return strings.TrimSuffix(name, filepath.Ext(name))
	}
	return name
}

// stripImageExtView is stripImageExt of a view, a view of it.
func stripImageExtView(b []byte) []byte {
	b = bytes.TrimSpace(b)
	// The extension as filepath.Ext finds it: from the last dot of the
	// last path element.
	for i := len(b) - 1; i >= 0 && !os.IsPathSeparator(b[i]); i-- {
		if b[i] == '.' {
			if imageExtRank(string(b[i:])) >= 0 {
				return b[:i]
			}
			break
		}
	}
	return b
}

// imageDir indexes the images of one --*-images argument by image id and
// caches header probes. The argument is a folder (searched recursively),
// a zip archive, or a folder holding archives (NIH ChestX-ray14's
// images_001.zip … images_012.zip): members are indexed where they are,
// never extracted, and named ARCHIVE.zip!MEMBER (see imaging).
type imageDir struct {
	root   string
	budget imaging.Options
	paths  map[string]string
	// ranks is the preference of paths[id]: see rankOf.
	ranks map[string]int
	// archives keeps a bounded number of the indexed archives open for
	// probing (budget.Archives): a folder of thousands of archives holds
	// no file or central directory of each for the whole prepare.
	archives *imaging.ArchiveCache
	// damaged are the archives under the folder that could not be read,
	// by path: each is a warning, and its images count as missing.
	damaged map[string]string
	mu      sync.Mutex
	sizes   map[string]sizeResult
}

type sizeResult struct {
	size Size
	err  error
}

// indexImageDir indexes root. A damaged archive (imaging.ErrMalformed)
// found inside a folder is recorded in damaged and skipped; one named as
// root itself is an error.
func indexImageDir(root string, budget imaging.Options) (*imageDir, error) {
	d := &imageDir{root: root, budget: budget, paths: map[string]string{}, ranks: map[string]int{},
		archives: imaging.NewArchiveCache(maxOpenArchives), damaged: map[string]string{}, sizes: map[string]sizeResult{}}
	d.budget.Archives = d.archives
	err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch {
		case e.IsDir():
		case imaging.IsArchive(e.Name()):
			err := d.indexArchive(p)
			if err != nil && p != root && errors.Is(err, imaging.ErrMalformed) {
				d.damaged[p] = err.Error()
				return nil
			}
			return err
		case imageExtRank(e.Name()) >= 0:
			d.add(e.Name(), p, false)
		}
		return nil
	})
	if err != nil {
		d.close()
		return nil, err
	}
	return d, nil
}

// indexArchive adds the image members of the zip archive at p, and
// closes it: probes reopen it through the cache.
func (d *imageDir) indexArchive(p string) error {
	a, err := d.budget.OpenArchive(p)
	if err != nil {
		return err
	}
	defer a.Close()
	for _, m := range a.Members() {
		if name := path.Base(m); imageExtRank(name) >= 0 {
			d.add(name, imaging.MemberPath(p, m), true)
		}
	}
	return nil
}

// add indexes the image file name found at p unless the id already has
// a preferred one.
func (d *imageDir) add(name, p string, member bool) {
	id := stripImageExt(name)
	r := rankOf(name, member)
	if prev, ok := d.ranks[id]; ok && prev <= r {
		return
	}
	d.paths[id], d.ranks[id] = p, r
}

// rankOf orders the files of one id: by extension (imageExtRank), and a
// plain file before an archive member of the same kind.
func rankOf(name string, member bool) int {
	r := 2 * imageExtRank(name)
	if member {
		r++
	}
	return r
}

// close closes the archives kept open for probing.
func (d *imageDir) close() {
	if d == nil {
		return
	}
	d.archives.Close()
}

func (d *imageDir) path(id string) (string, bool) {
	if d == nil {
		return "", false
	}
	p, ok := d.paths[id]
	return p, ok
}

// size probes the image of id once.
func (d *imageDir) size(id string) (Size, bool, error) {
	p, ok := d.path(id)
	if !ok {
		return Size{}, false, nil
	}
	d.mu.Lock()
	r, done := d.sizes[id]
	d.mu.Unlock()
	if !done {
		s, err := d.probe(p)
		r = sizeResult{s, err}
		d.mu.Lock()
		d.sizes[id] = r
		d.mu.Unlock()
	}
	return r.size, true, r.err
}

// probe reads an image's size from its header; a member is read through
// the cache of open archives (reopening an archive of thousands of
// members per image would reread its directory every time).
func (d *imageDir) probe(p string) (imaging.Size, error) {
	return d.budget.Probe(p)
}
