package imaging

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// greyPNG encodes a w×h grey PNG whose pixels depend on seed.
func greyPNG(t testing.TB, w, h int, seed byte) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = byte(i) + seed
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// zipEntry is one member of a test archive: a regular file with data,
// or a directory or symbolic link by mode.
type zipEntry struct {
	name string
	data []byte
	mode fs.FileMode
	// declared, when set, is the uncompressed size the header claims.
	declared uint64
}

// writeZip writes an archive of entries to a new file and returns its path.
func writeZip(t testing.TB, entries []zipEntry) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "images_001.zip")
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Store}
		if e.mode != 0 {
			h.SetMode(e.mode)
		}
		if e.declared == 0 {
			w, err := zw.CreateHeader(h)
			if err != nil {
				t.Fatal(err)
			}
			w.Write(e.data)
			continue
		}
		h.CRC32 = crc32.ChecksumIEEE(e.data)
		h.CompressedSize64 = uint64(len(e.data))
		h.UncompressedSize64 = e.declared
		w, err := zw.CreateRaw(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(e.data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSplitMemberPath(t *testing.T) {
	for _, c := range []struct {
		in              string
		archive, member string
		ok              bool
	}{
		{"/d/images_001.zip!images/00000001_000.png", "/d/images_001.zip", "images/00000001_000.png", true},
		{"rel/IMAGES.ZIP!a!b.png", "rel/IMAGES.ZIP", "a!b.png", true},
		{"/d/images/00000001_000.png", "", "", false},
		{"/d/odd!name.png", "", "", false},
		{"/d/archive.zipper/x.png", "", "", false},
		// Invalid UTF-8 and case-changing letters before the mark must not
		// shift the cut (lowercasing a copy did, and panicked).
		{"\xff\xff\xff\xff\xff.zip!a.png", "\xff\xff\xff\xff\xff.zip", "a.png", true},
		{"/d/Bild\xe4rchiv/images_001.zip!images/x.png", "/d/Bild\xe4rchiv/images_001.zip", "images/x.png", true},
		{"/d/\u023a\u023a\u023a/a.ZiP!m.png", "/d/\u023a\u023a\u023a/a.ZiP", "m.png", true},
		{".zip!", ".zip", "", true},
		{"zip!", "", "", false},
	} {
		a, m, ok := SplitMemberPath(c.in)
		if a != c.archive || m != c.member || ok != c.ok {
			t.Errorf("SplitMemberPath(%q) = %q, %q, %v; want %q, %q, %v", c.in, a, m, ok, c.archive, c.member, ok)
		}
		if ok && MemberPath(a, m) != c.in {
			t.Errorf("MemberPath(%q, %q) = %q, want %q", a, m, MemberPath(a, m), c.in)
		}
	}
}

// TestZipMemberIsAnImage reads one member through every opener: ReadFile
// gives its exact bytes, Probe its header size, DecodeFile its pixels,
// Stat its length.
func TestZipMemberIsAnImage(t *testing.T) {
	small := greyPNG(t, 12, 9, 3)
	archive := writeZip(t, []zipEntry{
		{name: "images/"},
		{name: "images/00000001_000.png", data: small},
		{name: "images/00000002_000.png", data: greyPNG(t, 5, 5, 7)},
	})
	p := MemberPath(archive, "images/00000001_000.png")
	o := Defaults()
	data, err := o.ReadFile(p)
	if err != nil || !bytes.Equal(data, small) {
		t.Fatalf("ReadFile = %d bytes, %v; want the member's %d bytes", len(data), err, len(small))
	}
	s, err := o.Probe(p)
	if err != nil || s != (Size{12, 9}) {
		t.Fatalf("Probe = %v, %v; want 12x9", s, err)
	}
	img, f, err := o.DecodeFile(context.Background(), p)
	if err != nil || f != PNG || img.Bounds().Dx() != 12 || color.GrayModel.Convert(img.At(1, 0)).(color.Gray).Y != 4 {
		t.Fatalf("DecodeFile = %v, %v, %v", img, f, err)
	}
	st, err := Stat(p)
	if err != nil || st.Size() != int64(len(small)) || !st.Mode().IsRegular() {
		t.Fatalf("Stat = %v, %v", st, err)
	}
	a, err := o.OpenArchive(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if got := a.Members(); len(got) != 2 || got[0] != "images/00000001_000.png" {
		t.Fatalf("Members = %q, want the two PNGs without the directory", got)
	}
	if s, err := a.ProbeMember("images/00000002_000.png"); err != nil || s != (Size{5, 5}) {
		t.Fatalf("ProbeMember = %v, %v", s, err)
	}
}

// TestZipMemberRefused: what a hostile or wrong member path gets, before
// any pixel is decompressed.
func TestZipMemberRefused(t *testing.T) {
	big := bytes.Repeat([]byte{0}, 4096)
	archive := writeZip(t, []zipEntry{
		{name: "images/", mode: fs.ModeDir | 0o755},
		{name: "images/link.png", data: []byte("00000001_000.png"), mode: fs.ModeSymlink | 0o777},
		{name: "images/ok.png", data: greyPNG(t, 4, 4, 0)},
		{name: "images/large.png", data: big},
		{name: "images/liar.png", data: big, declared: 100},
	})
	small := Options{MaxBytes: 1024}
	for _, c := range []struct {
		name   string
		budget Options
		path   string
		want   error
	}{
		{"missing member", Defaults(), MemberPath(archive, "images/none.png"), fs.ErrNotExist},
		{"directory member", Defaults(), MemberPath(archive, "images"), ErrBadMember},
		{"symlink member", Defaults(), MemberPath(archive, "images/link.png"), ErrBadMember},
		{"climbing name", Defaults(), MemberPath(archive, "../images/ok.png"), ErrBadMember},
		{"over the byte budget", small, MemberPath(archive, "images/large.png"), ErrOverBudget},
		{"missing archive", Defaults(), MemberPath(filepath.Join(t.TempDir(), "none.zip"), "a.png"), fs.ErrNotExist},
		{"archive is a folder", Defaults(), MemberPath(mkdir(t, "d.zip"), "a.png"), ErrNotRegular},
		{"not a zip", Defaults(), MemberPath(writeFile(t, "x.zip", []byte("not a zip")), "a.png"), ErrMalformed},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := c.budget.ReadFile(c.path); !errors.Is(err, c.want) {
				t.Errorf("ReadFile: err = %v, want %v", err, c.want)
			}
			if _, err := c.budget.Probe(c.path); !errors.Is(err, c.want) {
				t.Errorf("Probe: err = %v, want %v", err, c.want)
			}
		})
	}
	// A member that inflates past its declared size fails, bounded by the
	// declared size.
	if data, err := Defaults().ReadFile(MemberPath(archive, "images/liar.png")); err == nil {
		t.Fatalf("a member longer than declared read as %d bytes", len(data))
	}
}

func mkdir(t testing.TB, name string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.Mkdir(p, 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func writeFile(t testing.TB, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestZipArchiveMustBeRegular: an archive path that is a FIFO is refused
// without blocking, as a plain FIFO is.
func TestZipArchiveMustBeRegular(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "images_001.zip")
	if err := mkfifo(fifo); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	if _, err := Defaults().ReadFile(MemberPath(fifo, "images/a.png")); !errors.Is(err, ErrNotRegular) {
		t.Fatalf("err = %v, want ErrNotRegular", err)
	}
}

// FuzzZipMember reads every member of an arbitrary archive through the
// member-path openers: nothing panics, and nothing read is larger than
// the byte budget.
func FuzzZipMember(f *testing.F) {
	f.Add([]byte("PK\x05\x06" + string(make([]byte, 18))))
	for _, entries := range [][]zipEntry{
		{{name: "images/"}, {name: "images/a.png", data: greyPNG(f, 4, 3, 0)}},
		{{name: "images/link.png", data: []byte("a.png"), mode: fs.ModeSymlink | 0o777}, {name: "b.png", data: bytes.Repeat([]byte{1}, 300), declared: 10}},
	} {
		data, err := os.ReadFile(writeZip(f, entries))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		archive := filepath.Join(t.TempDir(), "images_001.zip")
		if err := os.WriteFile(archive, data, 0o644); err != nil {
			t.Fatal(err)
		}
		o := Options{MaxBytes: 1 << 16, MaxPixels: 1 << 16}
		a, err := o.OpenArchive(archive)
		if err != nil {
			return
		}
		defer a.Close()
		for _, m := range append(a.Members(), "images/a.png", "../x", "images") {
			p := MemberPath(archive, m)
			if got, err := o.ReadFile(p); err == nil && int64(len(got)) > o.MaxBytes {
				t.Fatalf("%s: read %d bytes, budget %d", m, len(got), o.MaxBytes)
			}
			o.Probe(p)
			a.ProbeMember(m)
			Stat(p)
		}
	})
}

// FuzzSplitMemberPath: any path splits without panicking, and a split
// path joins back to itself.
func FuzzSplitMemberPath(f *testing.F) {
	for _, s := range []string{"/d/a.zip!m.png", "\xff\xff.ZIP!x", "\u023a.zip!a!b", "plain.png", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		a, m, ok := SplitMemberPath(p)
		if ok && MemberPath(a, filepath.FromSlash(m)) != p && MemberPath(a, m) != p {
			t.Fatalf("SplitMemberPath(%q) = %q, %q does not join back", p, a, m)
		}
		if !ok && (a != "" || m != "") {
			t.Fatalf("SplitMemberPath(%q) not ok but %q, %q", p, a, m)
		}
	})
}

// TestZipMemberDuplicateName: a name the archive stores more than once
// (twice as a file, or as a file and a folder) is refused, cached or
// not, as archive/zip's fs.FS refuses it: which copy a reader sees would
// otherwise depend on the tool, so an archive could show one image to
// cxrkit and another to the user's unzip. Members lists the name once.
func TestZipMemberDuplicateName(t *testing.T) {
	one, two := greyPNG(t, 3, 3, 1), greyPNG(t, 4, 4, 2)
	archive := writeZip(t, []zipEntry{
		{name: "images/a.png", data: one},
		{name: "images/ok.png", data: one},
		{name: "images/a.png", data: two},
		{name: "images/b.png", data: one},
		{name: "images/b.png/", mode: fs.ModeDir | 0o755},
	})
	cached := Defaults()
	cached.Archives = NewArchiveCache(2)
	defer cached.Archives.Close()
	for _, o := range []Options{Defaults(), cached} {
		for _, m := range []string{"images/a.png", "images/b.png"} {
			p := MemberPath(archive, m)
			if _, err := o.ReadFile(p); !errors.Is(err, ErrBadMember) {
				t.Errorf("ReadFile(%s, cached %v): err = %v, want ErrBadMember", m, o.Archives != nil, err)
			}
			if _, err := o.Stat(p); !errors.Is(err, ErrBadMember) {
				t.Errorf("Stat(%s, cached %v): err = %v, want ErrBadMember", m, o.Archives != nil, err)
			}
		}
		if _, err := o.ReadFile(MemberPath(archive, "images/ok.png")); err != nil {
			t.Errorf("a unique member beside duplicates: %v", err)
		}
	}
	a, err := Defaults().OpenArchive(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if got := a.Members(); len(got) != 3 {
		t.Errorf("Members = %q, want each regular name once", got)
	}
}

// TestZipMemberIndexed: a member is found through the index built on the
// archive's first lookup, not by scanning the directory again (NIH
// archives hold 5,000 to 10,000 members; BenchmarkReadZipMember).
func TestZipMemberIndexed(t *testing.T) {
	archive := writeZip(t, []zipEntry{{name: "images/"}, {name: "images/a.png", data: greyPNG(t, 3, 3, 1)}, {name: "images/b.png", data: greyPNG(t, 3, 3, 2)}})
	a, err := Defaults().OpenArchive(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, err := a.find("images/a.png"); err != nil {
		t.Fatal(err)
	}
	// With the directory gone, only an index can answer.
	a.zip.File = nil
	for _, c := range []struct {
		member string
		want   error
	}{
		{"images/b.png", nil},
		{"images", ErrBadMember},
		{"images/c.png", fs.ErrNotExist},
	} {
		if _, err := a.find(c.member); !errors.Is(err, c.want) {
			t.Errorf("find(%s) after the first lookup: err = %v, want %v", c.member, err, c.want)
		}
	}
}
