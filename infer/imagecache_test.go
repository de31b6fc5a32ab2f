package infer

import (
	"archive/zip"
	"bytes"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/imaging"
)

// TestImageCacheKeyUsesArchiveCache: the encode cache's key of a zip
// member is looked up through the budget's ArchiveCache, not by opening
// the archive again. The test damages the archive's end record on disk
// (same size and time, so the cache keeps its open copy): a fresh open
// now fails, so only a key taken through the cache is non-empty.
func TestImageCacheKeyUsesArchiveCache(t *testing.T) {
	var pngData bytes.Buffer
	png.Encode(&pngData, image.NewGray(image.Rect(0, 0, 8, 8)))
	archive := filepath.Join(t.TempDir(), "images_001.zip")
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("images/a.png")
	w.Write(pngData.Bytes())
	zw.Close()
	if err := os.WriteFile(archive, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	budget := imaging.Defaults()
	budget.Archives = imaging.NewArchiveCache(4)
	defer budget.Archives.Close()
	ref := cxrkit.ImageRef{ImageID: "a", Path: imaging.MemberPath(archive, "images/a.png")}
	if _, err := budget.ReadFile(ref.Path); err != nil {
		t.Fatal(err)
	}
	damageEndRecord(t, archive)
	if _, err := imaging.Stat(ref.Path); err == nil {
		t.Fatal("a fresh open of the damaged archive succeeded; the test proves nothing")
	}
	if imageCacheKey(ref, budget) == "" {
		t.Error("no cache key: the member was looked up by opening its archive again")
	}
	if _, err := EncodeImage(t.Context(), ref, ImageOptions{MaxSide: 896, Budget: budget}); err != nil {
		t.Errorf("encode through the cache: %v", err)
	}
	if n := budget.Archives.Opens(); n != 1 {
		t.Errorf("archive opened %d times, want 1", n)
	}
}

// damageEndRecord zeroes the zip end-of-central-directory record, keeping
// the file's size and modification time.
func damageEndRecord(t *testing.T, path string) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	clear(data[len(data)-22:])
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, st.ModTime(), st.ModTime()); err != nil {
		t.Fatal(err)
	}
}
