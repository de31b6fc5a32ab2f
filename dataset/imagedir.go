package dataset

import (
	"io/fs"
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
	// archives are the indexed archives by path, kept open for probing.
	archives map[string]*imaging.Archive
	mu       sync.Mutex
	sizes    map[string]sizeResult
}

type sizeResult struct {
	size Size
	err  error
}

func indexImageDir(root string, budget imaging.Options) (*imageDir, error) {
	d := &imageDir{root: root, budget: budget, paths: map[string]string{}, ranks: map[string]int{},
		archives: map[string]*imaging.Archive{}, sizes: map[string]sizeResult{}}
	err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch {
		case e.IsDir():
		case imaging.IsArchive(e.Name()):
			return d.indexArchive(p)
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

// indexArchive adds the image members of the zip archive at p.
func (d *imageDir) indexArchive(p string) error {
	a, err := d.budget.OpenArchive(p)
	if err != nil {
		return err
	}
	d.archives[p] = a
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

// close closes the indexed archives.
func (d *imageDir) close() {
	if d == nil {
		return
	}
	for _, a := range d.archives {
		a.Close()
	}
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
		r = sizeResult{Size{s.Width, s.Height}, err}
		d.mu.Lock()
		d.sizes[id] = r
		d.mu.Unlock()
	}
	return r.size, true, r.err
}

// probe reads an image's size from its header, through the open archive
// for a member (reopening an archive of thousands of members per image
// would reread its directory every time).
func (d *imageDir) probe(p string) (imaging.Size, error) {
	if archive, member, ok := imaging.SplitMemberPath(p); ok {
		if a := d.archives[archive]; a != nil {
			return a.ProbeMember(member)
		}
	}
	return d.budget.Probe(p)
}
