package serve

import (
	"archive/zip"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReviewImageFromZipMember: a corpus whose image_path names a member
// of a zip archive (ARCHIVE.zip!MEMBER, as prepare writes for NIH's
// images_NNN.zip) shows the image.
func TestReviewImageFromZipMember(t *testing.T) {
	files := reviewFixture(t)
	dir := t.TempDir()
	png, err := os.ReadFile(nihImage)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(dir, "images_001.zip"))
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	w, _ := zw.Create("images/00000001_000.png")
	w.Write(png)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	corpus, err := os.ReadFile(files.Corpus)
	if err != nil {
		t.Fatal(err)
	}
	// Case 0's image becomes a member of the archive.
	s := strings.Replace(string(corpus), `"../nih/images/00000001_000.png"`, `"images_001.zip!images/00000001_000.png"`, 1)
	if s == string(corpus) {
		t.Fatal("fixture corpus no longer names ../nih/images/00000001_000.png")
	}
	files.Corpus = filepath.Join(dir, "corpus.jsonl")
	os.WriteFile(files.Corpus, []byte(s), 0o644)
	rv, err := LoadReview(context.Background(), files)
	if err != nil {
		t.Fatal(err)
	}
	h, err := New(Options{Review: rv})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/api/review/case/0/image")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" {
		t.Errorf("image from the archive: %d %s, want 200 image/png", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var c reviewCase
	if getInto(t, srv.URL+"/api/review/case/0", &c); !c.Image {
		t.Errorf("case 0 says it has no image")
	}
	// The server keeps the archive open: with its end record damaged on
	// disk (same size and time), a fresh open fails, so the image still
	// shows only if no view opens the archive anew.
	damageEndRecord(t, filepath.Join(dir, "images_001.zip"))
	for range 3 {
		resp, err = http.Get(srv.URL + "/api/review/case/0/image")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("image after the archive was opened once: %d, want 200 (the archive was opened again)", resp.StatusCode)
		}
	}
	if n := h.archives.Opens(); n != 1 {
		t.Errorf("archive opened %d times for 5 views, want 1", n)
	}
	h.Close()
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
