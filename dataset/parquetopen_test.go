package dataset

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// openFDs counts this process's open file descriptors (Linux).
func openFDs(t *testing.T) int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	return len(fds)
}

// TestDamagedParquetClosesFile: a parquet file whose footer does not
// parse is refused with its file closed. Arrow's OpenParquetFile left it
// open until a garbage collection, so reading many damaged files ran out
// of descriptors.
func TestDamagedParquetClosesFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "train-00000-of-00001.parquet")
	// Magic at both ends, a footer length pointing at garbage.
	if err := os.WriteFile(path, []byte("PAR1\x00\x01\x02\x03garbage\x08\x00\x00\x00PAR1"), 0o644); err != nil {
		t.Fatal(err)
	}
	readers := []struct {
		name string
		read func() error
	}{
		{"chestxdet", func() error {
			return chestXDetParquet{split: "train", class: chestXDetClass}.read(context.Background(), path, func(row) error { return nil })
		}},
		{"iu", func() error { return readIUParquet(context.Background(), path, func(IUReport) error { return nil }) }},
		{"rows", func() error { _, err := parquetRows(path); return err }},
	}
	for _, r := range readers {
		runtime.GC() // finalizers of earlier files run now, not during the loop
		before := openFDs(t)
		for range 50 {
			if err := r.read(); err == nil {
				t.Fatalf("%s: a damaged file read without error", r.name)
			}
		}
		if after := openFDs(t); after > before+5 {
			t.Errorf("%s: %d descriptors open after 50 damaged files, %d before", r.name, after, before)
		}
	}
}
