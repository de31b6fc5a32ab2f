package dataset

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/cxrkit/cxrkit"
)

const realData = "../../shared/realdata"

func needRealData(t testing.TB, parts ...string) string {
	t.Helper()
	p := filepath.Join(append([]string{realData}, parts...)...)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("real data not found (%s): %v", p, err)
	}
	return p
}

func realOptions(t testing.TB) Options {
	o := Defaults()
	o.VinDr = []string{needRealData(t, "vindr-cxr", "train.csv")}
	o.VinDrMeta = []string{needRealData(t, "vindr-cxr", "train_meta.csv")}
	o.ChestXDet = []string{needRealData(t, "chestx-det", "ChestX_Det_train.json"), needRealData(t, "chestx-det", "ChestX_Det_test.json")}
	o.NIHBoxes = []string{needRealData(t, "nih-chestxray14", "BBox_List_2017.csv")}
	o.Out = t.TempDir()
	return o
}

func readAllCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs[1:]
}

// TestRealDataCounts checks prepare on the full real VinDr train.csv, both
// ChestX-Det files and the NIH box list against counts derived here from
// the raw files with plain CSV/JSON reading and the SPEC's tables.
func TestRealDataCounts(t *testing.T) {
	o := realOptions(t)
	o.NormalRatio = NormalRatioAll
	rep, recs := runPrepare(t, o)

	vindrPositive := map[string]bool{"Cardiomegaly": true, "Consolidation": true, "Infiltration": true, "Lung Opacity": true,
		"Nodule/Mass": true, "Pleural effusion": true, "Pneumothorax": true}
	vrows := readAllCSV(t, o.VinDr[0])
	vImages, vPos := map[string]bool{}, map[string]bool{}
	vDropped := 0
	for _, r := range vrows {
		vImages[r[0]] = true
		switch {
		case vindrPositive[r[1]]:
			vPos[r[0]] = true
		case r[1] != "No finding":
			vDropped++
		}
	}
	checkInput(t, rep, "vindr", len(vrows), vDropped)

	cxdPositive := map[string]bool{"Cardiomegaly": true, "Consolidation": true, "Effusion": true, "Mass": true, "Nodule": true,
		"Diffuse Nodule": true, "Pneumothorax": true}
	cxdRows, cxdDropped := 0, 0
	cxdImages, cxdPos := 0, 0
	for _, path := range o.ChestXDet {
		var recsJSON []struct {
			Syms []string `json:"syms"`
		}
		data, _ := os.ReadFile(path)
		if err := json.Unmarshal(data, &recsJSON); err != nil {
			t.Fatal(err)
		}
		for _, r := range recsJSON {
			cxdImages++
			cxdRows += max(1, len(r.Syms))
			pos := false
			for _, s := range r.Syms {
				if cxdPositive[s] {
					pos = true
				} else {
					cxdDropped++
				}
			}
			if pos {
				cxdPos++
			}
		}
	}
	checkInput(t, rep, "chestxdet", cxdRows, cxdDropped)

	nrows := readAllCSV(t, o.NIHBoxes[0])
	nImages, nPos := map[string]bool{}, map[string]bool{}
	nDropped := 0
	for _, r := range nrows {
		id := r[0][:len(r[0])-4]
		nImages[id] = true
		if r[1] == "Atelectasis" {
			nDropped++
		} else {
			nPos[id] = true
		}
	}
	checkInput(t, rep, "nih", len(nrows), nDropped)

	written := map[cxrkit.Source]int{}
	positive := map[cxrkit.Source]int{}
	for _, r := range recs {
		written[r.Source]++
		if len(cxrkit.PositiveLabels(r.Findings)) > 0 {
			positive[r.Source]++
		}
	}
	wantWritten := map[cxrkit.Source]int{"vindr": len(vImages), "chestxdet": cxdImages, "nih": len(nPos)}
	wantPositive := map[cxrkit.Source]int{"vindr": len(vPos), "chestxdet": cxdPos, "nih": len(nPos)}
	for s := range wantWritten {
		if written[s] != wantWritten[s] || positive[s] != wantPositive[s] {
			t.Errorf("%s: written %d (positive %d), want %d (positive %d)", s, written[s], positive[s], wantWritten[s], wantPositive[s])
		}
	}
	if got := rep.Sources["nih"].LeftOut[leftNotExhaustive]; got != len(nImages)-len(nPos) {
		t.Errorf("nih images left out = %d, want %d (Atelectasis-only, no Data_Entry)", got, len(nImages)-len(nPos))
	}
	t.Logf("vindr %d rows %d images (%d positive); chestxdet %d rows %d images (%d positive); nih %d rows %d images (%d positive)",
		len(vrows), len(vImages), len(vPos), cxdRows, cxdImages, cxdPos, len(nrows), len(nImages), len(nPos))
}

func checkInput(t *testing.T, rep *Report, name string, read, dropped int) {
	t.Helper()
	s := rep.Inputs[name]
	if s.RowsRead != read || s.RowsDropped != dropped || s.RowsRejected != 0 || s.RowsKept != read-dropped {
		t.Errorf("%s: read %d kept %d dropped %d rejected %d; want read %d kept %d dropped %d rejected 0",
			name, s.RowsRead, s.RowsKept, s.RowsDropped, s.RowsRejected, read, read-dropped, dropped)
	}
}

func TestRealDataSplitsDeterministic(t *testing.T) {
	o := realOptions(t)
	split := func(seed int64) map[string]cxrkit.Split {
		o.Seed, o.Out = seed, t.TempDir()
		_, recs := runPrepare(t, o)
		m := map[string]cxrkit.Split{}
		for _, r := range recs {
			m[r.Key()] = r.Split
		}
		return m
	}
	a, b, c := split(0), split(0), split(7)
	diff := 0
	for k, s := range a {
		if b[k] != s {
			t.Fatalf("%s: split %s then %s with the same seed", k, s, b[k])
		}
		if c[k] != s {
			diff++
		}
	}
	if diff == 0 {
		t.Fatal("seed 7 gave the same splits as seed 0")
	}
	val := 0
	for _, s := range a {
		if s == cxrkit.SplitValidation {
			val++
		}
	}
	if frac := float64(val) / float64(len(a)); frac < 0.095 || frac > 0.105 {
		t.Errorf("validation fraction %.4f, want 0.1", frac)
	}
	t.Logf("%d images, %d in validation, %d change split with seed 7", len(a), val, diff)
}

func BenchmarkPrepareRealAnnotations(b *testing.B) {
	o := realOptions(b)
	for i := 0; i < b.N; i++ {
		o.Out = b.TempDir()
		if _, err := Prepare(context.Background(), o); err != nil {
			b.Fatal(err)
		}
	}
}
