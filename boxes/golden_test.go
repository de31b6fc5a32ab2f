package boxes_test

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/cxrkit/cxrkit/boxes"
	"github.com/cxrkit/cxrkit/labelmap"
)

const sharedDir = "../../shared"

// vindrReadings reads the real VinDr train.csv into per-image, per-label
// readings in row order, normalized with train_meta.csv, independently of
// the dataset package so that the golden check tests boxes alone.
func vindrReadings(t testing.TB) (map[string]map[labelmap.Label][]boxes.Reading, int) {
	t.Helper()
	dir := filepath.Join(sharedDir, "realdata", "vindr-cxr")
	if _, err := os.Stat(filepath.Join(dir, "train.csv")); err != nil {
		t.Skipf("real VinDr data not found at %s: %v", dir, err)
	}
	vocab, err := labelmap.Default()
	if err != nil {
		t.Fatal(err)
	}
	sizes := map[string][2]float64{}
	eachRow(t, filepath.Join(dir, "train_meta.csv"), func(rec []string) {
		h, _ := strconv.ParseFloat(rec[1], 64)
		w, _ := strconv.ParseFloat(rec[2], 64)
		sizes[rec[0]] = [2]float64{w, h}
	})
	out := map[string]map[labelmap.Label][]boxes.Reading{}
	nboxes := 0
	eachRow(t, filepath.Join(dir, "train.csv"), func(rec []string) {
		id := rec[0]
		if out[id] == nil {
			out[id] = map[labelmap.Label][]boxes.Reading{}
		}
		l, st := vocab.Source("vindr").Lookup(rec[1])
		if st != labelmap.Mapped || l == labelmap.NoFinding {
			return
		}
		var c [4]float64
		for i := range c {
			c[i], err = strconv.ParseFloat(rec[4+i], 64)
			if err != nil {
				t.Fatalf("%s: %v", id, err)
			}
		}
		wh := sizes[id]
		b := boxes.Box{Y0: c[1] / wh[1], X0: c[0] / wh[0], Y1: c[3] / wh[1], X1: c[2] / wh[0]}
		out[id][l] = append(out[id][l], boxes.Reading{Box: b, Reader: rec[3]})
		nboxes++
	})
	return out, nboxes
}

func eachRow(t testing.TB, path string, fn func([]string)) {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	if _, err := r.Read(); err != nil {
		t.Fatal(err)
	}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		fn(rec)
	}
}

func TestWBFMatchesEnsembleBoxesGolden(t *testing.T) {
	readings, _ := vindrReadings(t)
	data, err := os.ReadFile(filepath.Join(sharedDir, "golden", "vindr_wbf_iou0.5.json"))
	if err != nil {
		t.Skipf("golden file absent: %v", err)
	}
	var golden map[string]map[string][][4]float64
	if err := json.Unmarshal(data, &golden); err != nil {
		t.Fatal(err)
	}
	if len(golden) != 15000 || len(readings) != 15000 {
		t.Fatalf("images: golden %d, csv %d, want 15000 each", len(golden), len(readings))
	}
	images, fused, worst := 0, 0, 0.0
	for id, want := range golden {
		got := readings[id]
		if len(got) != len(want) {
			t.Errorf("%s: labels %d, golden %d", id, len(got), len(want))
			continue
		}
		for lab, wantBoxes := range want {
			merged := boxes.MergeWBF(got[labelmap.Label(lab)], 0.5)
			gotBoxes := make([][4]float64, len(merged))
			for i, f := range merged {
				gotBoxes[i] = f.Box.Array()
			}
			slices.SortFunc(gotBoxes, func(a, b [4]float64) int { return slices.Compare(a[:], b[:]) })
			if len(gotBoxes) != len(wantBoxes) {
				t.Errorf("%s %s: %d boxes, golden %d", id, lab, len(gotBoxes), len(wantBoxes))
				continue
			}
			for i := range gotBoxes {
				for j := range 4 {
					d := math.Abs(gotBoxes[i][j] - wantBoxes[i][j])
					worst = math.Max(worst, d)
					if d > 1e-4 {
						t.Errorf("%s %s box %d: got %v, golden %v", id, lab, i, gotBoxes[i], wantBoxes[i])
						break
					}
				}
			}
			fused += len(gotBoxes)
		}
		images++
	}
	t.Logf("%d images, %d fused boxes, worst coordinate difference %.2g", images, fused, worst)
}
