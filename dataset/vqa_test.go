package dataset

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestVQANestedLayout(t *testing.T) {
	for _, withVinDr := range []bool{false, true} {
		t.Run(map[bool]string{false: "vqa only", true: "with vindr"}[withVinDr], func(t *testing.T) {
			o := Defaults()
			o.VQA = []string{filepath.Join("testdata", "vqa_nested.json")}
			o.VinDrMeta = []string{filepath.Join("testdata", "vqa_meta.csv"), filepath.Join("testdata", "vindr_meta.csv")}
			o.NormalRatio, o.ValFraction, o.Out = NormalRatioAll, 0, t.TempDir()
			if withVinDr {
				o.VinDr = []string{filepath.Join("testdata", "vindr_train.csv")}
			}
			rep, recs := runPrepare(t, o)
			s := rep.Inputs["vqa"]
			// 9 QA pairs: 2 boxes on a VinDr image (restating its readers' boxes
			// when VinDr is read), 1 new box; a "No finding",
			// a "No" without a box and an unmapped label are dropped; a
			// three-number location, an image without a size and a record
			// without image_id are rejected.
			dup := 0
			if withVinDr {
				dup = 2
			}
			if got := [5]int{s.RowsRead, s.RowsKept, s.RowsDropped, s.RowsRejected, s.RowsDuplicate}; got != [5]int{9, 3, 3, 3, dup} {
				t.Fatalf("vqa read,kept,dropped,rejected,dup = %v, want [9 3 3 3 %d]", got, dup)
			}
			want := map[string]int{dropNoFinding: 1, dropNoBox: 1, dropUnmapped: 1}
			for k, n := range want {
				if s.DroppedReasons[k] != n {
					t.Errorf("dropped %v, want %v", s.DroppedReasons, want)
				}
			}
			by := map[string]string{}
			for _, r := range recs {
				var ls []string
				for _, f := range r.Findings {
					ls = append(ls, string(f.Label))
				}
				by[r.ImageID] = strings.Join(ls, ",")
			}
			if by["cccc0000000000000000000000000001"] != "pleural_effusion" {
				t.Errorf("VQA-only image with a mapped box = %q, want pleural_effusion", by["cccc0000000000000000000000000001"])
			}
			if l, ok := by["cccc0000000000000000000000000002"]; ok {
				t.Errorf("VQA-only image without a mapped box got a record: %q", l)
			}
			if got := rep.Sources["vindr"].LeftOut[leftPartial]; got != 1 {
				t.Errorf("left out as partial = %d, want 1 (cccc..02)", got)
			}
			if withVinDr {
				if by["aaaa0000000000000000000000000001"] != "cardiomegaly" || by["aaaa0000000000000000000000000002"] != "no_finding" {
					t.Errorf("joined VinDr images = %v", by)
				}
				return
			}
			if _, ok := by["aaaa0000000000000000000000000001"]; !ok {
				t.Error("VQA-only image with two mapped boxes has no record")
			}
			rejects, _ := os.ReadFile(filepath.Join(o.Out, RejectsFile))
			checkGolden(t, bytes.ReplaceAll(rejects, []byte(`"testdata/`), []byte(`"`)), "vqa_nested_rejects.jsonl")
			corpus, _ := os.ReadFile(filepath.Join(o.Out, CorpusFile))
			checkGolden(t, corpus, "vqa_nested_corpus.jsonl")
		})
	}
}

func TestVQARejectLinesPointAtThePair(t *testing.T) {
	p, rej := testPreparer(t)
	path := filepath.Join("testdata", "vqa_nested.json")
	if err := p.readFile(vqaPairs{size: p.vindrSize}, path); err != nil {
		t.Fatal(err)
	}
	checkAccounting(t, p, rej, path)
	var lines []int
	for _, l := range strings.Split(strings.TrimSpace(rej.String()), "\n") {
		var r Reject
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, r.Line)
	}
	src, _ := os.ReadFile(path)
	all := strings.Split(string(src), "\n")
	for _, n := range lines {
		if !strings.Contains(all[n-1], `"question"`) {
			t.Errorf("reject line %d is not a QA object: %s", n, all[n-1])
		}
	}
}

func TestVQAWrongLayoutFails(t *testing.T) {
	for _, data := range []string{`[{"image_id":"a","findings":"x"}]`, `[1,2]`, `{"image_id":"a"}`} {
		p, _ := testPreparer(t)
		path := fuzzFile(t, "q.json", []byte(data))
		err := p.readFile(vqaPairs{size: p.vindrSize}, path)
		if err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: err %v, want a layout error naming the file", data, err)
		}
	}
}

func TestParseLocation(t *testing.T) {
	tests := []struct {
		in   string
		want [4]float64
		ok   bool
		err  bool
	}{
		{`"<loc_691_1375_1653_1831>"`, [4]float64{691, 1375, 1653, 1831}, true, false},
		{`"<loc_1.5_2_3_4>"`, [4]float64{1.5, 2, 3, 4}, true, false},
		{`[1,2,3,4]`, [4]float64{1, 2, 3, 4}, true, false},
		{`"[1,2,3,4]"`, [4]float64{1, 2, 3, 4}, true, false},
		{`""`, [4]float64{}, false, false},
		{`null`, [4]float64{}, false, false},
		{`"<loc_1_2_3>"`, [4]float64{}, false, true},
		{`"<loc_a_2_3_4>"`, [4]float64{}, false, true},
		{`"<loc_1_2_3_4"`, [4]float64{}, false, true},
	}
	for _, tt := range tests {
		got, ok, err := parseLocation(json.RawMessage(tt.in))
		if got != tt.want || ok != tt.ok || (err != nil) != tt.err {
			t.Errorf("parseLocation(%s) = %v, %v, %v", tt.in, got, ok, err)
		}
	}
}
