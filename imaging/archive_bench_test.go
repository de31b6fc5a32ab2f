package imaging

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkReadZipMember reads one 300 KB image from an archive laid out
// like NIH's images_NNN.zip (5,000 members), against the same bytes as a
// plain file: the difference is the archive's central directory, read on
// every open unless an ArchiveCache keeps the archive open.
func BenchmarkReadZipMember(b *testing.B) {
	data := make([]byte, 300<<10)
	copy(data, greyPNG(b, 16, 16, 1))
	entries := []zipEntry{{name: "images/"}}
	for i := range 5000 {
		e := zipEntry{name: fmt.Sprintf("images/%08d_000.png", i), data: data[:64]}
		if i == 2500 {
			e.data = data
		}
		entries = append(entries, e)
	}
	archive := writeZip(b, entries)
	plain := filepath.Join(b.TempDir(), "00002500_000.png")
	if err := os.WriteFile(plain, data, 0o644); err != nil {
		b.Fatal(err)
	}
	cached := Defaults()
	cached.Archives = NewArchiveCache(16)
	defer cached.Archives.Close()
	member := MemberPath(archive, "images/00002500_000.png")
	for _, c := range []struct {
		name string
		path string
		o    Options
	}{
		{"file", plain, Defaults()},
		{"member", member, Defaults()},
		{"member-cached", member, cached},
	} {
		o := c.o
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := o.ReadFile(c.path); err != nil {
					b.Fatal(err)
				}
			}
		})
		// What audit and serve do per image: stat it (the encode cache's
		// key, review's check), then read it; uncached, that is two reads
		// of the central directory.
		// The lookup alone: describing a member costs no decompression, so
		// what is left is finding it among the archive's entries.
		b.Run(c.name+"-stat", func(b *testing.B) {
			for b.Loop() {
				if _, err := o.Stat(c.path); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(c.name+"-stat-read", func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := o.Stat(c.path); err != nil {
					b.Fatal(err)
				}
				if _, err := o.ReadFile(c.path); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
