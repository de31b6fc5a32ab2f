package pipeline

import (
	"archive/zip"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cxrkit/cxrkit"
)

// zipImages writes the bundled NIH PNGs into dir/images_001.zip as NIH
// publishes them (members images/<id>.png) and returns dir.
func zipImages(t *testing.T) string {
	t.Helper()
	files, _ := filepath.Glob("../testdata/nih/images/*.png")
	if len(files) == 0 {
		t.Fatal("no bundled NIH images")
	}
	dir := t.TempDir()
	f, err := os.Create(filepath.Join(dir, "images_001.zip"))
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: "images/" + filepath.Base(p), Method: zip.Store})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestQuickstartFromZippedImages runs the quickstart with the NIH images
// inside a zip archive instead of a folder: prepare points the corpus
// into the archive, and export (with --verify) reads the same images as
// from the folder, without extracting anything.
func TestQuickstartFromZippedImages(t *testing.T) {
	headlines := map[string]string{}
	for _, zipped := range []bool{false, true} {
		var archives string
		edit := func(s string) string { return s }
		if zipped {
			archives = zipImages(t)
			edit = func(s string) string {
				i := strings.Index(s, "nih_images: ")
				j := i + strings.IndexByte(s[i:], '\n')
				return s[:i] + "nih_images: " + archives + s[j:]
			}
		}
		path, out := quickstartIn(t, edit)
		c, err := LoadConfig(path)
		if err != nil {
			t.Fatal(err)
		}
		c.Stages = []string{"prepare", "synth", "export"}
		s, err := Run(context.Background(), c, RunOptions{})
		if err != nil {
			t.Fatalf("zipped %v: %v", zipped, err)
		}
		headlines[s.Stages[2].Stage+" "+map[bool]string{false: "folder", true: "zip"}[zipped]] = s.Stages[2].Headline
		if !zipped {
			continue
		}
		recs, err := cxrkit.LoadJSONL[cxrkit.Record](filepath.Join(out, "prepare", "corpus.jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		members := 0
		for _, r := range recs {
			if strings.Contains(r.ImagePath, "images_001.zip!images/") {
				members++
			}
		}
		if members != 6 {
			t.Errorf("%d corpus records point into the archive, want the 6 bundled images", members)
		}
	}
	folder, zipped := headlines["export folder"], headlines["export zip"]
	t.Logf("zip: %s", zipped)
	if folder == "" || folder != zipped || !strings.Contains(zipped, "images decoded") {
		t.Errorf("export from the archive differs from the folder:\nfolder: %s\nzip:    %s", folder, zipped)
	}
}
