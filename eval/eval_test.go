package eval

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/boxes"
	"github.com/cxrkit/cxrkit/labelmap"
)

var update = flag.Bool("update", false, "rewrite golden files")

func bx(y0, x0, y1, x1 float64) *boxes.Box { return &boxes.Box{Y0: y0, X0: x0, Y1: y1, X1: x1} }

func rec(id string, fs ...cxrkit.Finding) cxrkit.Record {
	if len(fs) == 0 {
		fs = cxrkit.NoFindingList()
	}
	return cxrkit.Record{ImageID: id, Source: "vindr", Split: "test", Findings: fs}
}

func pred(id string, fs ...cxrkit.Finding) cxrkit.Result {
	if len(fs) == 0 {
		fs = cxrkit.NoFindingList()
	}
	return cxrkit.Result{CaseID: id, ImageID: id, Source: "vindr", ImageFindings: fs, Parse: cxrkit.Parse{Grounding: "ok"}}
}

func f(l labelmap.Label, b *boxes.Box) cxrkit.Finding { return cxrkit.Finding{Label: l, Box: b} }

const (
	eff = labelmap.PleuralEffusion
	ptx = labelmap.Pneumothorax
	nod = labelmap.NoduleMass
	car = labelmap.Cardiomegaly
)

// smallCase: four gold images, hand-counted below.
func smallCase() ([]cxrkit.Record, []cxrkit.Result) {
	gold := []cxrkit.Record{
		rec("a", f(eff, bx(0.6, 0.1, 0.9, 0.4)), f(car, bx(0.5, 0.3, 0.8, 0.7))),
		rec("b", f(eff, bx(0.6, 0.6, 0.9, 0.9)), f(ptx, nil)),
		rec("c"),
		rec("d", f(nod, bx(0.2, 0.2, 0.3, 0.3))),
	}
	preds := []cxrkit.Result{
		// a: effusion box on the wrong side — it equals image b's gold box,
		// and must not match it; cardiomegaly box well placed.
		pred("a", f(eff, bx(0.6, 0.6, 0.9, 0.9)), f(car, bx(0.5, 0.3, 0.8, 0.65))),
		// b: effusion right, pneumothorax missed, a false nodule.
		pred("b", f(eff, bx(0.62, 0.6, 0.9, 0.9)), f(nod, bx(0.1, 0.1, 0.2, 0.2))),
		// c: normal, predicted normal.
		pred("c"),
		// d: grounding failed.
		{CaseID: "d", ImageID: "d", Source: "vindr", Parse: cxrkit.Parse{Grounding: "failed"}},
		// a prediction for an image not in gold.
		pred("zz", f(car, nil)),
	}
	return gold, preds
}

func evalSmall(t *testing.T, o ImageOptions) *ImageReport {
	gold, preds := smallCase()
	d, err := NewDataset(gold, preds, o)
	if err != nil {
		t.Fatal(err)
	}
	return Evaluate(d, o)
}

func val(p *float64) float64 {
	if p == nil {
		return -1
	}
	return *p
}

func TestHandComputedMetrics(t *testing.T) {
	r := evalSmall(t, ImageOptions{})
	if r.NImages != 4 || r.ParseFailures != 1 || r.MissingPredictions != 0 || r.UnmatchedPredictions != 1 {
		t.Fatalf("counts %+v", r)
	}
	want := map[labelmap.Label][3]int{eff: {2, 0, 0}, ptx: {0, 0, 1}, nod: {0, 1, 1}, car: {1, 0, 0}}
	for l, w := range want {
		p, _ := r.Presence.PerLabel.Get(string(l))
		if [3]int{p.TP, p.FP, p.FN} != w {
			t.Errorf("%s presence %d/%d/%d, want %v", l, p.TP, p.FP, p.FN, w)
		}
	}
	opac, _ := r.Presence.PerLabel.Get(string(labelmap.LungOpacity))
	if opac.F1 != nil || opac.Reason == "" {
		t.Errorf("opacity never occurs: F1 %v reason %q", opac.F1, opac.Reason)
	}
	// F1: eff 1, ptx 0, nod 0, car 1 → macro over 4 occurring labels 0.5;
	// defined-only (tp+fp>0 and tp+fn>0): eff, car, and nod has tp+fp=1,
	// tp+fn=1 → (1+0+1)/3.
	if val(r.Presence.MacroF1) != 0.5 || fmt.Sprintf("%.4f", val(r.Presence.MacroF1Defined)) != "0.6667" {
		t.Errorf("macro %v defined %v", val(r.Presence.MacroF1), val(r.Presence.MacroF1Defined))
	}
	// Localization at 0.5: a's effusion box does not match (a's gold is on
	// the other side); b's does (IoU 0.9); car matches (IoU 0.875); d's
	// nodule is missed (failed parse); b's false nodule is an fp.
	l5, _ := r.Localization.Get("0.5")
	if l5.TP != 2 || l5.FP != 2 || l5.FN != 2 {
		t.Errorf("loc@0.5 tp %d fp %d fn %d, want 2/2/2", l5.TP, l5.FP, l5.FN)
	}
	le, _ := l5.PerLabel.Get(string(eff))
	if le.TP != 1 || le.FP != 1 || le.FN != 1 {
		t.Errorf("effusion loc %+v: a box must never match another image's gold box", le)
	}
	if got := fmt.Sprintf("%.4f", val(r.MeanIoUMatched)); got != fmt.Sprintf("%.4f", (0.28/0.3+0.875)/2) {
		t.Errorf("mean IoU %s", got)
	}
	up, _ := r.UrgentRecall.Get(string(ptx))
	un, _ := r.UrgentRecall.Get(string(nod))
	if up.K != 0 || up.N != 1 || un.K != 0 || un.N != 1 || val(up.Recall) != 0 {
		t.Errorf("urgent %+v %+v", up, un)
	}
}

func TestMissingPredictionsCountAsFailures(t *testing.T) {
	gold, preds := smallCase()
	d, err := NewDataset(gold, preds[:2], ImageOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Missing != 2 || d.ParseFailures != 2 {
		t.Fatalf("missing %d failures %d", d.Missing, d.ParseFailures)
	}
	r := Evaluate(d, ImageOptions{})
	if c, _ := r.Presence.PerLabel.Get(string(nod)); c.FN != 1 || c.FP != 1 {
		t.Fatalf("unpredicted gold nodule not counted: %+v", c)
	}
	// Results without source match by image_id.
	for i := range preds {
		preds[i].Source = ""
	}
	if d, err := NewDataset(gold, preds, ImageOptions{}); err != nil || d.Missing != 0 {
		t.Fatalf("source-less match: %v %+v", err, d)
	}
	if _, err := NewDataset(gold, preds, ImageOptions{Split: "train"}); err == nil {
		t.Fatal("empty split accepted")
	}
}

func TestReportJSONHasNoNaN(t *testing.T) {
	r := evalSmall(t, ImageOptions{Bootstrap: 50})
	data, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	if strings.Contains(s, "NaN") || !strings.Contains(s, `"f1":null`) || !strings.Contains(s, `"reason":"no gold and no predicted positives`) {
		t.Fatalf("json %s", s)
	}
	if i, j := strings.Index(s, `"pleural_effusion"`), strings.Index(s, `"cardiomegaly"`); i < 0 || i > j {
		t.Fatal("per-label keys not in canonical order")
	}
	var back ImageReport
	if err := json.Unmarshal(data, &back); err != nil || back.Presence.PerLabel.Keys[0] != "pleural_effusion" {
		t.Fatalf("round trip: %v", err)
	}
}

// randomGold draws n gold images; predictFrom perturbs them with noise
// (missed findings, false ones, shifted boxes) using its own generator.
func randomGold(n int, seed uint64) []cxrkit.Record {
	rng := rand.New(rand.NewPCG(seed, 1))
	var gold []cxrkit.Record
	for i := range n {
		var gf []cxrkit.Finding
		for _, l := range labelmap.Positives() {
			if rng.Float64() < 0.2 {
				y, x := rng.Float64()*0.6, rng.Float64()*0.6
				gf = append(gf, f(l, bx(y, x, y+0.2+rng.Float64()*0.2, x+0.2+rng.Float64()*0.2)))
			}
		}
		gold = append(gold, rec(fmt.Sprintf("%06d", i), gf...))
	}
	return gold
}

func predictFrom(gold []cxrkit.Record, noise float64, seed uint64) []cxrkit.Result {
	rng := rand.New(rand.NewPCG(seed, 2))
	var preds []cxrkit.Result
	for _, g := range gold {
		var pf []cxrkit.Finding
		for _, l := range labelmap.Positives() {
			var gb *boxes.Box
			for _, x := range g.Findings {
				if x.Label == l {
					gb = x.Box
				}
			}
			switch {
			case gb != nil && rng.Float64() > noise:
				j := noise * 0.2 * (rng.Float64() - 0.5)
				pf = append(pf, f(l, bx(gb.Y0+j, gb.X0+j, gb.Y1+j, gb.X1+j).Clamp().Ptr()))
			case gb == nil && rng.Float64() < noise*0.3:
				pf = append(pf, f(l, nil))
			}
		}
		preds = append(preds, pred(g.ImageID, pf...))
	}
	return preds
}

func randomData(n int, seed uint64, noise float64) ([]cxrkit.Record, []cxrkit.Result) {
	gold := randomGold(n, seed)
	return gold, predictFrom(gold, noise, seed)
}

func TestBootstrapDeterministicAndPaired(t *testing.T) {
	gold, preds := randomData(500, 3, 0.3)
	d, _ := NewDataset(gold, preds, ImageOptions{})
	o := ImageOptions{Bootstrap: 200, Seed: 5}
	a, b := Evaluate(d, o), Evaluate(d, o)
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if !bytes.Equal(ja, jb) {
		t.Fatal("same seed, different intervals")
	}
	c := Evaluate(d, ImageOptions{Bootstrap: 200, Seed: 6})
	if fmt.Sprint(c.Presence.MacroF1CI) == fmt.Sprint(a.Presence.MacroF1CI) {
		t.Fatal("another seed gave the same interval")
	}
	ci := a.Presence.MacroF1CI
	if ci == nil || ci[0] > *a.Presence.MacroF1 || ci[1] < *a.Presence.MacroF1 || ci[1]-ci[0] > 0.2 {
		t.Fatalf("interval %v around %v", ci, *a.Presence.MacroF1)
	}
	// Identical models: every paired difference is exactly 0.
	d2, _ := NewDataset(gold, preds, ImageOptions{})
	cmp, err := Compare(d, d2, o)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range cmp.Diff.Keys {
		df := cmp.Diff.Values[k]
		if df.Value != nil && (*df.Value != 0 || df.CI == nil || df.CI[0] != 0 || df.CI[1] != 0 || df.Winner != "tie") {
			t.Fatalf("%s: identical models differ: %+v %v", k, df, *df.CI)
		}
	}
	// A clearly better model wins.
	better := predictFrom(gold, 0.05, 3)
	d3, _ := NewDataset(gold, better, ImageOptions{})
	cmp, _ = Compare(d, d3, o)
	if w := cmp.Diff.Values["macro_f1"]; w.Winner != "b" || *w.Value <= 0 {
		t.Fatalf("better model: %+v", w)
	}
	// Callers read the headline difference by its accessor, which is the
	// report's "macro_f1" entry.
	if cmp.MacroF1() == nil || cmp.MacroF1() != cmp.Diff.Values["macro_f1"] {
		t.Fatalf("MacroF1() %+v is not the report's macro_f1 diff", cmp.MacroF1())
	}
	// Every statistic with a difference is found by its key in both
	// reports (the Markdown table's A and B columns).
	if len(cmp.stats) != len(cmp.Diff.Keys) {
		t.Fatalf("%d stat keys for %d diffs", len(cmp.stats), len(cmp.Diff.Keys))
	}
	for i, k := range cmp.stats {
		if k.String() != cmp.Diff.Keys[i] {
			t.Fatalf("stat key %d is %s, diff %s", i, k, cmp.Diff.Keys[i])
		}
		if cmp.Diff.Values[k.String()].Value != nil && (cmp.A.stat(k) == nil || cmp.B.stat(k) == nil) {
			t.Errorf("%s has a difference but no value in A or B", k)
		}
	}
}

func TestAuditMode(t *testing.T) {
	exp := func(m, u, g []labelmap.Label) *cxrkit.Audit {
		return &cxrkit.Audit{MissingFindings: m, UnsupportedClaims: u, UrgentReviewFlags: g}
	}
	L := func(ls ...labelmap.Label) []labelmap.Label { return ls }
	cases := []cxrkit.Case{
		{CaseID: "1", CaseType: "missing", ExpectedAudit: exp(L(eff), nil, nil)},
		{CaseID: "2", CaseType: "missing", ExpectedAudit: exp(L(ptx), nil, L(ptx))},
		{CaseID: "3", CaseType: "unsupported", ExpectedAudit: exp(nil, L(car), nil)},
		{CaseID: "4", CaseType: "faithful", ExpectedAudit: exp(nil, nil, nil)},
		{CaseID: "5", CaseType: "faithful", ExpectedAudit: exp(nil, nil, nil)},
		{CaseID: "6", CaseType: "faithful", ExpectedAudit: exp(nil, nil, nil)},
	}
	errMsg := "boom"
	results := []cxrkit.Result{
		{CaseID: "1", Audit: exp(L(eff), nil, nil)},
		{CaseID: "2", Audit: exp(L(ptx, car), nil, L(ptx))},
		{CaseID: "3", Audit: exp(nil, nil, nil)},
		{CaseID: "4", Error: &errMsg},
		// No verdict (audit null) on a faithful case is a failure, not
		// agreement, even without an error message.
		{CaseID: "6", Parse: cxrkit.Parse{Grounding: "failed"}},
		{CaseID: "9"},
	}
	r := EvaluateAudit(cases, results)
	m, _ := r.Flags.Get("missing_findings")
	u, _ := r.Flags.Get("unsupported_claims")
	g, _ := r.Flags.Get("urgent_review_flags")
	if m.TP != 2 || m.FP != 1 || m.FN != 0 || u.TP != 0 || u.FN != 1 || g.TP != 1 {
		t.Fatalf("flags m %+v u %+v g %+v", m, u, g)
	}
	all, _ := r.ExactMatch.Get("all")
	miss, _ := r.ExactMatch.Get("missing")
	faith, _ := r.ExactMatch.Get("faithful")
	if all.N != 6 || all.Correct != 1 || miss.Correct != 1 || faith.Correct != 0 || r.Errors != 2 {
		t.Fatalf("exact %+v %+v %+v errors %d (case 4 errored, case 5 has no result, case 6 no verdict: all wrong)", all, miss, faith, r.Errors)
	}
	if r.MissingResults != 1 || r.Errors != 2 || r.Unmatched != 1 || r.ExactMatch.Keys[0] != "faithful" {
		t.Fatalf("report %+v keys %v", r, r.ExactMatch.Keys)
	}
	if r.Overall() != all {
		t.Fatalf("Overall() %+v is not the report's \"all\" entry %+v", r.Overall(), all)
	}
}

func TestGoldenMarkdown(t *testing.T) {
	r := evalSmall(t, ImageOptions{Bootstrap: 100, Seed: 1})
	r.Provenance = &cxrkit.Provenance{Version: "0.0.0 (golden)", Command: []string{"cxrkit", "eval", "--gold", "g.jsonl", "--pred", "p.jsonl", "--seed", "1"},
		Inputs: []cxrkit.InputFile{{Flag: "gold", Path: "g.jsonl", SHA256: strings.Repeat("ab", 32), Bytes: 1234, Rows: 9}},
		Splits: []cxrkit.Split{cxrkit.SplitTest}, Seed: 1, Date: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	var buf bytes.Buffer
	if err := r.WriteMarkdown(&buf, "cxrkit evaluation"); err != nil {
		t.Fatal(err)
	}
	path := "testdata/golden_report.md"
	if *update {
		os.WriteFile(path, buf.Bytes(), 0o644)
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("markdown differs from %s:\n%s", path, buf.String())
	}
	var h bytes.Buffer
	r.WriteHTML(&h, "cxrkit <evaluation>")
	s := h.String()
	if !strings.Contains(s, "<svg") || !strings.Contains(s, "not a medical device") || strings.Contains(s, "http://") && !strings.Contains(s, "xmlns") || strings.Contains(s, "<script") || !strings.Contains(s, "&lt;evaluation&gt;") {
		t.Fatal("html report is not self-contained, escaped and disclaimed")
	}
}

func BenchmarkEval10kImages1000Bootstrap(b *testing.B) {
	gold, preds := randomData(10000, 9, 0.2)
	for i := 0; i < b.N; i++ {
		d, err := NewDataset(gold, preds, ImageOptions{})
		if err != nil {
			b.Fatal(err)
		}
		Evaluate(d, ImageOptions{Bootstrap: 1000, Seed: 1})
	}
}

func TestSeveralResultsPerImage(t *testing.T) {
	gold, preds := smallCase()
	dup := preds[0]
	dup.CaseID = "a:missing"
	if d, err := NewDataset(gold, append(preds, dup), ImageOptions{}); err != nil || d.Len() != 4 {
		t.Fatalf("identical duplicate: %v", err)
	}
	dup.ImageFindings = nil
	if _, err := NewDataset(gold, append(preds, dup), ImageOptions{}); err == nil {
		t.Fatal("conflicting predictions for one image accepted")
	}
}
