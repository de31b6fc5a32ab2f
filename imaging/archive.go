package imaging

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
)

// An image inside a zip archive is named ARCHIVE.zip!MEMBER, e.g.
// /data/images_001.zip!images/00000001_000.png: the archive's file path,
// then "!", then the member's name as the archive stores it (forward
// slashes). NIH ChestX-ray14 is published as twelve such archives, and a
// corpus that points into them needs no extracted copy. Every image
// opener in this package understands the notation, so every stage that
// reads images does.

// archiveMark ends the archive part of a member path.
const archiveMark = ".zip!"

// ErrBadMember marks a zip member that cxrkit will not read: not a
// regular file (a directory or symbolic link), a name that climbs out of
// the archive, or a name the archive stores more than once.
var ErrBadMember = errors.New("zip member is not a regular file")

// MemberPath names member inside the zip archive at archive.
func MemberPath(archive, member string) string {
	return archive + "!" + member
}

// SplitMemberPath splits ARCHIVE.zip!MEMBER into the archive path and
// the member name; ok is false for a plain path. The split is at the
// first ".zip!" (any case), so a member name may itself hold "!".
func SplitMemberPath(p string) (archive, member string, ok bool) {
	// The search compares bytes in place: lowercasing a copy first would
	// shift positions on invalid UTF-8 and cut the original in the wrong
	// place.
	cut := -1
	for i := len(archiveMark) - 1; i < len(p); i++ {
		if p[i] == '!' && strings.EqualFold(p[i-len(archiveMark)+1:i], archiveMark[:len(archiveMark)-1]) {
			cut = i
			break
		}
	}
	if cut < 0 {
		return "", "", false
	}
	// filepath.Join on Windows turns the member's slashes around.
	return p[:cut], filepath.ToSlash(p[cut+1:]), true
}

// IsArchive reports whether name is a zip archive by its extension.
func IsArchive(name string) bool {
	return strings.EqualFold(filepath.Ext(name), ".zip")
}

// Archive is an open zip archive of images. Only its central directory
// is read on opening; members are decompressed as they are opened. The
// first lookup of a member indexes the directory by name, so an archive
// kept open (ArchiveCache) finds each later member in constant time.
type Archive struct {
	path   string
	file   *os.File
	zip    *zip.Reader
	budget Options

	indexOnce sync.Once
	index     map[string]indexed
}

// indexed is the first entry the directory holds under a name (without a
// folder's trailing slash); dup marks a name stored more than once.
type indexed struct {
	file *zip.File
	dup  bool
}

// OpenArchive opens the zip archive at path, a regular file. The archive
// itself may be larger than the byte budget (NIH's are 2 GB); each member
// opened is held to it.
func (o Options) OpenArchive(path string) (*Archive, error) {
	f, size, err := openRegularFile(path)
	if err != nil {
		return nil, err
	}
	zr, err := zip.NewReader(f, size)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w: %v", path, ErrMalformed, err)
	}
	return &Archive{path: path, file: f, zip: zr, budget: o.withDefaults()}, nil
}

// Path is the archive's file path.
func (a *Archive) Path() string { return a.path }

// Close closes the archive's file.
func (a *Archive) Close() error { return a.file.Close() }

// Members lists the names of the archive's regular members, sorted, each
// once; directories, links and names that climb out of the archive are
// left out. A name stored more than once is listed, and refuses to open.
func (a *Archive) Members() []string {
	var names []string
	for _, f := range a.zip.File {
		if f.Mode().IsRegular() && fs.ValidPath(f.Name) {
			names = append(names, f.Name)
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// Open opens one member for reading: a regular member whose declared
// uncompressed size is within the byte budget, checked before anything
// is decompressed. The reader fails if the member inflates past its
// declared size. The size returned is the declared one.
func (a *Archive) Open(member string) (io.ReadCloser, int64, error) {
	f, err := a.find(member)
	if err != nil {
		return nil, 0, err
	}
	name := MemberPath(a.path, member)
	if size := f.UncompressedSize64; size > uint64(a.budget.MaxBytes) {
		return nil, 0, fmt.Errorf("%s: %w: member is %d MiB uncompressed, budget %d MiB", name, ErrOverBudget, size>>20, a.budget.MaxBytes>>20)
	}
	r, err := f.Open()
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w", name, err)
	}
	return r, int64(f.UncompressedSize64), nil
}

// find looks member up in the archive's index: a regular file stored
// once, else an error. A name stored twice (two files, or a file and a
// folder) is refused, as archive/zip's fs.FS refuses it: which copy is
// read would otherwise depend on the reader.
func (a *Archive) find(member string) (*zip.File, error) {
	name := MemberPath(a.path, member)
	if !fs.ValidPath(member) {
		return nil, fmt.Errorf("%s: %w (invalid member name)", name, ErrBadMember)
	}
	e, ok := a.members()[member]
	switch {
	case !ok:
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	case e.dup:
		return nil, fmt.Errorf("%s: %w (name stored more than once)", name, ErrBadMember)
	}
	if m := e.file.Mode(); !m.IsRegular() || e.file.Name != member {
		return nil, fmt.Errorf("%s: %w (%s)", name, ErrBadMember, m.Type())
	}
	return e.file, nil
}

// members indexes the directory by name on first use. The index holds
// one small entry per directory entry, which zip.NewReader has already
// allocated in full; names that no lookup can ask for (climbing out of
// the archive) are left out.
func (a *Archive) members() map[string]indexed {
	a.indexOnce.Do(func() {
		index := make(map[string]indexed, len(a.zip.File))
		for _, f := range a.zip.File {
			key := strings.TrimSuffix(f.Name, "/")
			if !fs.ValidPath(key) {
				continue
			}
			if e, seen := index[key]; seen {
				e.dup = true
				index[key] = e
				continue
			}
			index[key] = indexed{file: f}
		}
		a.index = index
	})
	return a.index
}

// Stat describes the image file at path (a plain file or an archive
// member) without reading it; the caller learns whether it exists and is
// regular. It opens the member's archive each time; a stage reading many
// members uses Options.Stat with an ArchiveCache.
func Stat(p string) (fs.FileInfo, error) { return Options{}.Stat(p) }

// Stat is Stat through o.Archives when set, so describing a member costs
// no second read of its archive's central directory.
func (o Options) Stat(p string) (fs.FileInfo, error) {
	archive, member, ok := SplitMemberPath(p)
	if !ok {
		return os.Stat(p)
	}
	a, done, err := o.archive(archive)
	if err != nil {
		return nil, err
	}
	defer func() { _ = done() }() // a release of a read-only archive has nothing to report
	f, err := a.find(member)
	if err != nil {
		return nil, err
	}
	return f.FileInfo(), nil
}

// archive opens the archive at path, through o.Archives when set; done
// lets go of it.
func (o Options) archive(path string) (*Archive, func() error, error) {
	if o.Archives != nil {
		cached, release, err := o.Archives.acquire(path, o)
		if err != nil {
			return nil, nil, err
		}
		return cached, func() error { release(); return nil }, nil
	}
	opened, err := o.OpenArchive(path)
	if err != nil {
		return nil, nil, err
	}
	return opened, opened.Close, nil
}

// openImage opens the image at p for reading, a plain regular file or an
// archive member, within the byte budget; size is its length.
func (o Options) openImage(p string) (io.ReadCloser, int64, error) {
	archive, member, ok := SplitMemberPath(p)
	if !ok {
		return o.openRegular(p)
	}
	a, done, err := o.archive(archive)
	if err != nil {
		return nil, 0, err
	}
	r, size, err := a.Open(member)
	if err != nil {
		_ = done()
		return nil, 0, err
	}
	return memberReader{r, done}, size, nil
}

// memberReader lets go of its archive with the member.
type memberReader struct {
	io.ReadCloser
	done func() error
}

func (m memberReader) Close() error {
	return errors.Join(m.ReadCloser.Close(), m.done())
}

// ProbeMember reads the size of an archive member's image from its
// header, as Probe does for a file.
func (a *Archive) ProbeMember(member string) (Size, error) {
	r, size, err := a.Open(member)
	if err != nil {
		return Size{}, err
	}
	defer r.Close()
	s, err := a.budget.probe(r, size)
	if err != nil {
		return Size{}, fmt.Errorf("%s: %w", MemberPath(a.path, member), err)
	}
	return s, nil
}
