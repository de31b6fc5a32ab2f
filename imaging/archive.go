package imaging

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
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
// regular file (a directory or symbolic link), or a name that climbs
// out of the archive.
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
// is read on opening; members are decompressed as they are opened.
type Archive struct {
	path   string
	file   *os.File
	zip    *zip.Reader
	budget Options
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

// Members lists the names of the archive's regular members, sorted;
// directories, links and names that climb out of the archive are left
// out.
func (a *Archive) Members() []string {
	var names []string
	for _, f := range a.zip.File {
		if f.Mode().IsRegular() && fs.ValidPath(f.Name) {
			names = append(names, f.Name)
		}
	}
	sort.Strings(names)
	return names
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

// find looks member up among the archive's entries: a regular file, else
// an error. A linear scan: zip.Reader's fs.FS lookup sorts and indexes
// every entry first, which costs more than the scan for one member.
func (a *Archive) find(member string) (*zip.File, error) {
	name := MemberPath(a.path, member)
	if !fs.ValidPath(member) {
		return nil, fmt.Errorf("%s: %w (invalid member name)", name, ErrBadMember)
	}
	for _, f := range a.zip.File {
		if f.Name != member && f.Name != member+"/" {
			continue
		}
		if m := f.Mode(); !m.IsRegular() || f.Name != member {
			return nil, fmt.Errorf("%s: %w (%s)", name, ErrBadMember, m.Type())
		}
		return f, nil
	}
	return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
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
