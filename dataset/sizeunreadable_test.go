package dataset

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cxrkit/cxrkit"
)

// TestUnreadableImageSizeRejectsBoxes: an NIH or ChestX-Det image that is
// in the image folder but whose size cannot be read (here a damaged
// header) rejects its box rows with file:line and "image size
// unreadable", and report.json counts the image. Before, the boxes were
// normalised by the documented 1024x1024 as if that size were known.
func TestUnreadableImageSizeRejectsBoxes(t *testing.T) {
	good, err := os.ReadFile("../testdata/nih/images/00000001_000.png") // 1024x1024
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	nihDir, cxdDir := filepath.Join(root, "nih"), filepath.Join(root, "cxd")
	os.MkdirAll(nihDir, 0o755)
	os.MkdirAll(cxdDir, 0o755)
	os.WriteFile(filepath.Join(nihDir, "00000001_000.png"), good, 0o644)
	os.WriteFile(filepath.Join(nihDir, "00000002_000.png"), []byte("\x89PNG\r\n\x1a\nnot a header"), 0o644)
	os.WriteFile(filepath.Join(cxdDir, "90001.png"), []byte("damaged"), 0o644)
	boxList := filepath.Join(root, "BBox_List_2017.csv")
	os.WriteFile(boxList, []byte("Image Index,Finding Label,Bbox [x,y,w,h],,,\n"+
		"00000001_000.png,Nodule,102.4,102.4,51.2,51.2\n"+
		"00000002_000.png,Nodule,102.4,102.4,51.2,51.2\n"), 0o644)
	// The image-level entry keeps a record of the unreadable image, so the
	// report counts it among the source's images.
	entries := filepath.Join(root, "Data_Entry_2017.csv")
	os.WriteFile(entries, []byte("Image Index,Finding Labels,Follow-up #,Patient ID\n00000002_000.png,Nodule,0,00000002\n"), 0o644)
	cxd := filepath.Join(root, "cxd.json")
	os.WriteFile(cxd, []byte(`[{"file_name": "90001.png", "syms": ["Nodule"], "boxes": [[100, 100, 150, 150]], "polygons": []}]`), 0o644)

	o := Defaults()
	o.NIHBoxes, o.NIHEntries, o.NIHImages = []string{boxList}, []string{entries}, nihDir
	o.ChestXDet, o.ChestXDetImage = []string{cxd}, cxdDir
	o.NormalRatio = NormalRatioAll
	o.Out = t.TempDir()
	rep, recs := runPrepare(t, o)

	for _, r := range recs {
		if r.Key() == "nih:00000001_000" {
			if len(r.Findings) != 1 || r.Findings[0].Box == nil || r.Findings[0].Box.X0 != 0.1 {
				t.Errorf("readable image: findings %+v, want one box at x0 0.1", r.Findings)
			}
			continue
		}
		for _, f := range r.Findings {
			if f.Box != nil {
				t.Errorf("%s: box %v normalised by a guessed size", r.Key(), f.Box)
			}
		}
	}
	rejects, err := os.ReadFile(filepath.Join(o.Out, RejectsFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []struct {
		input string
		file  string
		line  string
	}{{"nih", boxList, `"line":3`}, {"chestxdet", cxd, `"line":1`}} {
		st := rep.Inputs[want.input]
		if st == nil || st.RejectedReasons[errSizeUnreadable.Error()] != 1 || !st.Balanced() {
			t.Errorf("%s: stats %+v, want one row rejected for %q", want.input, st, errSizeUnreadable)
		}
		found := false
		for _, l := range strings.Split(string(rejects), "\n") {
			if strings.Contains(l, want.file) && strings.Contains(l, want.line) && strings.Contains(l, `"reason":"image size unreadable"`) {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: no reject at %s %s for the unreadable size in\n%s", want.input, want.file, want.line, rejects)
		}
	}
	if n := rep.Sources[cxrkit.SourceNIH].SizeUnreadable; n != 1 {
		t.Errorf("nih images with unreadable size = %d, want 1", n)
	}
}
