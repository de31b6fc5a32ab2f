package dataset

import (
	"io/fs"

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

// imageDir indexes one image folder (recursively) by image id and caches
// header probes.
type imageDir struct {
	root   string
	budget imaging.Options
	paths  map[string]string
	mu     sync.Mutex
	sizes  map[string]sizeResult
}

type sizeResult struct {
	size Size
	err  error
}

func indexImageDir(root string, budget imaging.Options) (*imageDir, error) {
	d := &imageDir{root: root, budget: budget, paths: map[string]string{}, sizes: map[string]sizeResult{}}
	err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() || imageExtRank(e.Name()) < 0 {
			return nil
		}
		id := stripImageExt(e.Name())
		if prev, ok := d.paths[id]; ok && imageExtRank(prev) <= imageExtRank(p) {
			return nil
		}
		d.paths[id] = p
		return nil
	})
	return d, err
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
		s, err := d.budget.Probe(p)
		s2 := Size{s.Width, s.Height}
		r = sizeResult{s2, err}
		d.mu.Lock()
		d.sizes[id] = r
		d.mu.Unlock()
	}
	return r.size, true, r.err
}
