package dataset

import (
	"bytes"
	"encoding/json"
	"errors"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/boxes"
)

// Invented VinDr rows in the competition layout; originals are 2400x2000
// and 1800x2200 (width x height).
const (
	vindrCompetitionHeader = "image_id,class_name,class_id,rad_id,x_min,y_min,x_max,y_max"
	vindrMirrorRows        = `dddd0000000000000000000000000001,Cardiomegaly,3,R1,700.0,1400.0,1700.0,1800.0
dddd0000000000000000000000000001,Cardiomegaly,3,R2,720.0,1420.0,1680.0,1790.0
dddd0000000000000000000000000001,Pleural effusion,10,R3,100.0,1500.0,600.0,1950.0
dddd0000000000000000000000000002,No finding,14,R1,,,,
dddd0000000000000000000000000003,Nodule/Mass,8,R2,300.0,400.0,420.0,520.0`
)

var vindrOriginals = map[string]Size{
	"dddd0000000000000000000000000001": {Width: 2400, Height: 2000},
	"dddd0000000000000000000000000002": {Width: 1800, Height: 2200},
	"dddd0000000000000000000000000003": {Width: 1800, Height: 2200},
}

// writeVinDrMirror writes the three ways users get VinDr: the competition
// train.csv with a meta CSV, the 512-px mirror's train.csv with width,height
// on every row, and a folder of 512-px PNGs.
func writeVinDrMirror(t *testing.T) (competition, meta, mirror512, pngs string) {
	dir := t.TempDir()
	competition = filepath.Join(dir, "train.csv")
	os.WriteFile(competition, []byte(vindrCompetitionHeader+"\n"+vindrMirrorRows+"\n"), 0o644)
	var m, w strings.Builder
	m.WriteString("image_id,dim0,dim1\n")
	w.WriteString(vindrCompetitionHeader + ",width,height\n")
	for _, line := range strings.Split(vindrMirrorRows, "\n") {
		id, _, _ := strings.Cut(line, ",")
		s := vindrOriginals[id]
		w.WriteString(line + "," + itoa(s.Width) + "," + itoa(s.Height) + "\n")
	}
	for _, id := range []string{"dddd0000000000000000000000000001", "dddd0000000000000000000000000002", "dddd0000000000000000000000000003"} {
		s := vindrOriginals[id]
		m.WriteString(id + "," + itoa(s.Height) + "," + itoa(s.Width) + "\n")
	}
	meta = filepath.Join(dir, "train_meta.csv")
	os.WriteFile(meta, []byte(m.String()), 0o644)
	mirror512 = filepath.Join(dir, "train512.csv")
	os.WriteFile(mirror512, []byte(w.String()), 0o644)
	pngs = filepath.Join(dir, "train")
	os.MkdirAll(pngs, 0o755)
	for id, s := range vindrOriginals {
		scale := 512.0 / float64(max(s.Width, s.Height))
		img := image.NewGray(image.Rect(0, 0, int(float64(s.Width)*scale), int(float64(s.Height)*scale)))
		var buf bytes.Buffer
		png.Encode(&buf, img)
		os.WriteFile(filepath.Join(pngs, id+".png"), buf.Bytes(), 0o644)
	}
	return
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestVinDrResizedMirrorBoxesEqualMetaBoxes(t *testing.T) {
	competition, meta, mirror512, pngs := writeVinDrMirror(t)
	run := func(mod func(o *Options)) ([]cxrkit.Record, *Report) {
		o := Defaults()
		o.NormalRatio, o.ValFraction, o.Out = NormalRatioAll, 0, t.TempDir()
		mod(&o)
		rep, recs := runPrepare(t, o)
		return recs, rep
	}
	viaMeta, _ := run(func(o *Options) { o.VinDr, o.VinDrMeta, o.VinDrImages = []string{competition}, []string{meta}, pngs })
	viaRows, _ := run(func(o *Options) { o.VinDr, o.VinDrImages = []string{mirror512}, pngs })
	if len(viaMeta) != 3 || len(viaRows) != 3 {
		t.Fatalf("records: meta %d, rows %d; want 3 each", len(viaMeta), len(viaRows))
	}
	for i := range viaMeta {
		a, b := viaMeta[i], viaRows[i]
		if a.ImagePath == "" || b.ImagePath == "" {
			t.Errorf("%s: the 512-px folder should give the image path", a.ImageID)
		}
		a.ImagePath, b.ImagePath = "", ""
		aj, bj := mustJSON(t, a), mustJSON(t, b)
		if aj != bj {
			t.Errorf("resized-mirror path differs from meta path:\n rows %s\n meta %s", bj, aj)
		}
		if s := vindrOriginals[a.ImageID]; a.Width != s.Width || a.Height != s.Height {
			t.Errorf("%s is %dx%d, want the original %v", a.ImageID, a.Width, a.Height, s)
		}
	}
	// The folder alone cannot scale the boxes: every box is rejected with
	// a message saying what to pass, none is misplaced.
	recs, rep := run(func(o *Options) { o.VinDr, o.VinDrImages = []string{competition}, pngs })
	for _, r := range recs {
		if len(cxrkit.PositiveLabels(r.Findings)) > 0 {
			t.Errorf("%s kept a box scaled by a resized image: %+v", r.Key(), r.Findings)
		}
	}
	if n := rep.Inputs["vindr"].RejectedReasons[boxes.ErrNoImageSize.Error()]; n != 4 {
		t.Errorf("rejected for size = %d, want the 4 boxes", n)
	}
	rejects, _ := os.ReadFile(filepath.Join(rep.Outputs["rejects"]))
	if !bytes.Contains(rejects, []byte("a resized copy")) || !bytes.Contains(rejects, []byte("--vindr-meta")) {
		t.Errorf("rejects do not say what to pass: %s", rejects)
	}
}

func TestVinDrSizeUnknowableSaysWhatToPass(t *testing.T) {
	p, _ := testPreparer(t)
	_, err := p.vindrSize("nowhere")
	if !errors.Is(err, boxes.ErrNoImageSize) || !strings.Contains(err.Error(), "original DICOM pixels") || !strings.Contains(err.Error(), "width,height") {
		t.Fatalf("err %v", err)
	}
}

// TestRealDataResizedMirrorEqualsMeta rebuilds the 512-px mirror's
// train.csv (the 8 columns plus the original width,height) from the real
// annotations and meta, and checks prepare gives byte-identical records.
func TestRealDataResizedMirrorEqualsMeta(t *testing.T) {
	trainPath := needRealData(t, "vindr-cxr", "train.csv")
	metaPath := needRealData(t, "vindr-cxr", "train_meta.csv")
	sizes := map[string]Size{}
	if err := ReadMeta(metaPath, sizes); err != nil {
		t.Fatal(err)
	}
	var w strings.Builder
	w.WriteString(vindrCompetitionHeader + ",width,height\n")
	for _, rec := range readAllCSV(t, trainPath) {
		s := sizes[rec[0]]
		for i := range rec {
			if strings.ContainsAny(rec[i], ",\"") {
				rec[i] = `"` + strings.ReplaceAll(rec[i], `"`, `""`) + `"`
			}
		}
		w.WriteString(strings.Join(rec, ",") + "," + itoa(s.Width) + "," + itoa(s.Height) + "\n")
	}
	mirror := filepath.Join(t.TempDir(), "train.csv")
	os.WriteFile(mirror, []byte(w.String()), 0o644)
	run := func(vindr string, meta []string) []byte {
		o := Defaults()
		o.VinDr, o.VinDrMeta, o.Out = []string{vindr}, meta, t.TempDir()
		runPrepare(t, o)
		data, _ := os.ReadFile(filepath.Join(o.Out, CorpusFile))
		return data
	}
	a, b := run(trainPath, []string{metaPath}), run(mirror, nil)
	if len(a) < 1000 || !bytes.Equal(a, b) {
		t.Fatalf("corpus from the mirror's width,height (%d bytes) differs from the meta path (%d bytes)", len(b), len(a))
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
