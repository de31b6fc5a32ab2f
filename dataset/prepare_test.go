package dataset

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/boxes"
	"github.com/cxrkit/cxrkit/labelmap"
)

var update = flag.Bool("update", false, "rewrite golden files")

// fixtureOptions prepares every fixture format at once.
func fixtureOptions(t *testing.T) Options {
	t.Helper()
	o := Defaults()
	td := func(name string) string { return filepath.Join("testdata", name) }
	o.VinDr = []string{td("vindr_train.csv"), td("vindr_physionet.csv")}
	o.VinDrMeta = []string{td("vindr_meta.csv"), td("vindr_physionet_meta.csv")}
	o.VQA = []string{td("vqa.json")}
	o.ChestXDet = []string{td("chestxdet.json")}
	o.NIHBoxes = []string{td("nih_bbox.csv")}
	o.NIHEntries = []string{td("nih_entries.csv"), td("nih_sample_labels.csv")}
	o.NormalRatio = NormalRatioAll
	o.ValFraction = 0.2
	o.Out = t.TempDir()
	return o
}

func runPrepareErr(o Options) (*Report, error) { return Prepare(context.Background(), o) }

func runPrepare(t *testing.T, o Options) (*Report, []cxrkit.Record) {
	t.Helper()
	rep, err := Prepare(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := cxrkit.LoadJSONL[cxrkit.Record](filepath.Join(o.Out, CorpusFile))
	if err != nil {
		t.Fatal(err)
	}
	return rep, recs
}

func checkGolden(t *testing.T, got []byte, name string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./dataset -run Golden -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from golden:\n got: %s\nwant: %s", name, got, want)
	}
}

func TestPrepareFixtureGolden(t *testing.T) {
	o := fixtureOptions(t)
	rep, _ := runPrepare(t, o)
	corpus, _ := os.ReadFile(filepath.Join(o.Out, CorpusFile))
	checkGolden(t, corpus, "corpus.jsonl")
	rejects, _ := os.ReadFile(filepath.Join(o.Out, RejectsFile))
	checkGolden(t, bytes.ReplaceAll(rejects, []byte(`"testdata/`), []byte(`"`)), "rejects.jsonl")
	for name, s := range rep.Inputs {
		if !s.Balanced() {
			t.Errorf("%s: read %d != kept %d + dropped %d + rejected %d", name, s.RowsRead, s.RowsKept, s.RowsDropped, s.RowsRejected)
		}
	}
	want := map[string][4]int{ // read, kept, dropped, rejected
		"vindr": {28, 18, 5, 5}, "vqa": {6, 3, 3, 0}, "nih": {14, 10, 4, 0}, "chestxdet": {14, 10, 4, 0},
	}
	for name, w := range want {
		s := rep.Inputs[name]
		if got := [4]int{s.RowsRead, s.RowsKept, s.RowsDropped, s.RowsRejected}; got != w {
			t.Errorf("%s rows = %v, want %v", name, got, w)
		}
	}
	if rep.Inputs["vqa"].RowsDuplicate != 1 {
		t.Errorf("vqa duplicates = %d, want 1", rep.Inputs["vqa"].RowsDuplicate)
	}
	nihLeft := rep.Sources["nih"].LeftOut
	if nihLeft[leftNotExhaustive] != 2 {
		t.Errorf("nih left out = %v, want 2 not exhaustive (2 Atelectasis boxes without Data_Entry; Data_Entry images with only unmapped labels are normal)", nihLeft)
	}
	vLeft := rep.Sources["vindr"].LeftOut
	if vLeft[leftRejected] != 3 || vLeft[leftUnknown] != 1 {
		t.Errorf("vindr left out = %v, want 3 rejected, 1 unknown", vLeft)
	}
}

func TestPrepareRecordsFollowRules(t *testing.T) {
	_, recs := runPrepare(t, fixtureOptions(t))
	by := map[string]cxrkit.Record{}
	for _, r := range recs {
		by[r.Key()] = r
	}
	labels := func(key string) string {
		r, ok := by[key]
		if !ok {
			return "(absent)"
		}
		var s []string
		for _, f := range r.Findings {
			b := "box"
			if f.Box == nil {
				b = "null"
			}
			s = append(s, string(f.Label)+":"+b)
		}
		return strings.Join(s, ",")
	}
	tests := []struct{ key, want, why string }{
		{"vindr:aaaa0000000000000000000000000001", "cardiomegaly:box", "two readers merged, dropped label ignored"},
		{"vindr:aaaa0000000000000000000000000003", "pleural_effusion:box,nodule_mass:box", "opacity under the nodule dropped; a VQA pair without a box asserts nothing"},
		{"vindr:ffff0000000000000000000000000099", "cardiomegaly:box", "known only from VQA, with a mapped box"},
		{"vindr:aaaa0000000000000000000000000004", "no_finding:null", "only dropped labels: normal"},
		{"vindr:aaaa0000000000000000000000000006", "lung_opacity_consolidation:box", "clamped box kept, bad rows rejected"},
		{"vindr:aaaa0000000000000000000000000007", "(absent)", "its only positive was rejected: never normal"},
		{"vindr:aaaa0000000000000000000000000010", "(absent)", "unknown label: never normal"},
		{"nih:00000032_037", "lung_opacity_consolidation:box,cardiomegaly:null", "Data_Entry labels join the boxes"},
		{"nih:00013118_008", "(absent)", "dropped box, no Data_Entry: not exhaustive"},
		{"nih:00000003_000", "no_finding:null", "Hernia only: outside the six labels, one rule for every source"},
		{"nih:00000002_000", "no_finding:null", "Data_Entry No Finding"},
		{"chestxdet:36200", "no_finding:null", "empty syms"},
		{"chestxdet:39467", "no_finding:null", "Atelectasis only"},
	}
	for _, tt := range tests {
		if got := labels(tt.key); got != tt.want {
			t.Errorf("%s = %s, want %s (%s)", tt.key, got, tt.want, tt.why)
		}
	}
	r := by["vindr:aaaa0000000000000000000000000001"]
	if r.Width != 2400 || r.Height != 2000 || r.Findings[0].Readers != 2 {
		t.Errorf("record 1 = %+v", r)
	}
	if want := (boxes.Box{Y0: 0.705, X0: 0.2958, Y1: 0.8975, X1: 0.7042}); *r.Findings[0].Box != want {
		t.Errorf("merged box = %v, want %v", *r.Findings[0].Box, want)
	}
	if by["nih:00000001_000"].Split != by["nih:00000001_001"].Split {
		t.Error("one patient in two splits")
	}
}

func TestMinReadersLeavesAmbiguousImagesOut(t *testing.T) {
	o := fixtureOptions(t)
	o.MinReaders = 2
	rep, recs := runPrepare(t, o)
	for _, r := range recs {
		if r.Source != cxrkit.SourceVinDr {
			continue
		}
		for _, f := range r.Findings {
			if f.Box != nil && f.Readers < 2 {
				t.Errorf("%s kept a box with %d readers", r.Key(), f.Readers)
			}
		}
		if r.ImageID == "aaaa0000000000000000000000000005" && len(r.Findings) != 1 {
			t.Errorf("image 5 = %+v, want only the 2-reader pneumothorax", r.Findings)
		}
	}
	// Images 2, 3, 6, bbbb..1 and the VQA-only ffff..99 had
	// single-reader positives only.
	if got := rep.Sources["vindr"].Ambiguous; got != 5 {
		t.Errorf("ambiguous = %d, want 5 (2 = image 2's VQA-only box, 3, 6, bbbb..1, ffff..99)", got)
	}
}

func TestStrictWritesNoCorpus(t *testing.T) {
	o := fixtureOptions(t)
	o.Strict = true
	os.WriteFile(filepath.Join(o.Out, CorpusFile), []byte("stale\n"), 0o644)
	_, err := Prepare(context.Background(), o)
	if !errors.Is(err, ErrStrict) {
		t.Fatalf("err = %v, want ErrStrict", err)
	}
	if _, err := os.Stat(filepath.Join(o.Out, CorpusFile)); !os.IsNotExist(err) {
		t.Error("strict failure left a corpus.jsonl")
	}
	for _, f := range []string{ReportFile, RejectsFile} {
		if _, err := os.Stat(filepath.Join(o.Out, f)); err != nil {
			t.Errorf("strict failure did not write %s: %v", f, err)
		}
	}
}

func TestMergeAndCrossOptions(t *testing.T) {
	count := func(o Options) int {
		_, recs := runPrepare(t, o)
		n := 0
		for _, r := range recs {
			for _, f := range r.Findings {
				if f.Box != nil {
					n++
				}
			}
		}
		return n
	}
	base := fixtureOptions(t)
	wbf := count(base)
	none := base
	none.Merge, none.Out = boxes.None, t.TempDir()
	noCross := base
	noCross.CrossIoU, noCross.Out = 0, t.TempDir()
	if n := count(none); n != wbf+2 {
		t.Errorf("merge none: %d boxes, want %d (two 2-reader clusters unmerged)", n, wbf+2)
	}
	if n := count(noCross); n != wbf+2 {
		t.Errorf("cross-iou 0: %d boxes, want %d (two cross-label drops undone)", n, wbf+2)
	}
}

func TestOptionsValidate(t *testing.T) {
	tests := []struct {
		mut  func(*Options)
		want string
	}{
		{func(o *Options) { o.VinDr, o.VQA, o.ChestXDet, o.NIHBoxes, o.NIHEntries = nil, nil, nil, nil, nil }, "no input"},
		{func(o *Options) { o.Out = "" }, "--out is required"},
		{func(o *Options) { o.MergeIoU = 1.5 }, "--merge-iou"},
		{func(o *Options) { o.ValFraction, o.TestFraction = 0.6, 0.5 }, "leaves no training"},
		{func(o *Options) { o.MinReaders = 0 }, "--min-readers"},
		{func(o *Options) { o.DedupImages = true }, "--dedup-images needs image folders"},
		{func(o *Options) { o.Merge = "max" }, "unknown merge method"},
	}
	for _, tt := range tests {
		o := fixtureOptions(t)
		tt.mut(&o)
		if _, err := Prepare(context.Background(), o); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("err = %v, want %q", err, tt.want)
		}
	}
}

func TestReportJSONShape(t *testing.T) {
	o := fixtureOptions(t)
	o.Flags = map[string]any{"merge": "wbf"}
	runPrepare(t, o)
	var rep map[string]any
	data, _ := os.ReadFile(filepath.Join(o.Out, ReportFile))
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"version", "disclaimer", "flags", "inputs", "sources", "splits", "images_per_label", "accounting_balanced"} {
		if _, ok := rep[k]; !ok {
			t.Errorf("report lacks %q", k)
		}
	}
	if !strings.Contains(rep["disclaimer"].(string), "not a medical device") {
		t.Error("report disclaimer missing")
	}
}

func TestReadMetaRejectsBadRows(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "meta.csv")
	os.WriteFile(path, []byte("image_id,dim0,dim1\na,100,200\nb,abc,200\n"), 0o644)
	err := ReadMeta(path, map[string]Size{})
	if err == nil || !strings.Contains(err.Error(), "meta.csv:3:") {
		t.Fatalf("err = %v, want meta.csv:3", err)
	}
	os.WriteFile(path, []byte("image_id,rows,cols\n"), 0o644)
	if err := ReadMeta(path, map[string]Size{}); err == nil || !strings.Contains(err.Error(), ":1:") {
		t.Fatalf("err = %v", err)
	}
	got := map[string]Size{}
	os.WriteFile(path, []byte("id,width,height\r\nx.png,640,480\r\n"), 0o644)
	if err := ReadMeta(path, got); err != nil || got["x"] != (Size{Width: 640, Height: 480}) {
		t.Fatalf("width/height layout: %v %v", got, err)
	}
}

func TestReadIDList(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ids.txt")
	os.WriteFile(path, []byte("# holdout\n00000001_000.png\n\nabc\n"), 0o644)
	ids, err := ReadIDList(path)
	if err != nil || strings.Join(ids, ",") != "00000001_000,abc" {
		t.Fatalf("ids = %v, %v", ids, err)
	}
	os.WriteFile(path, []byte("a b\n"), 0o644)
	if _, err := ReadIDList(path); err == nil || !strings.Contains(err.Error(), ":1:") {
		t.Fatalf("err = %v", err)
	}
}

func TestLabelMapOverrideChangesCorpus(t *testing.T) {
	o := fixtureOptions(t)
	doc := strings.Replace(mustRead(t, "../configs/labelmap.yaml"), "    Aortic enlargement: null", "    Aortic enlargement: cardiomegaly", 1)
	v, err := labelmap.Parse([]byte(doc), "custom.yaml")
	if err != nil {
		t.Fatal(err)
	}
	o.Vocab = v
	_, recs := runPrepare(t, o)
	for _, r := range recs {
		if r.ImageID == "aaaa0000000000000000000000000001" && len(r.Findings) != 2 {
			t.Fatalf("custom map: findings %+v, want the aortic box as a second cardiomegaly", r.Findings)
		}
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
