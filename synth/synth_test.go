package synth

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/audit"
	"github.com/cxrkit/cxrkit/boxes"
	"github.com/cxrkit/cxrkit/labelmap"
)

var update = flag.Bool("update", false, "rewrite golden files")

func generate(t testing.TB, o Options, corpus []byte) ([]byte, Summary) {
	t.Helper()
	g, err := NewGenerator(o)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	s, err := g.Generate(context.Background(), bytes.NewReader(corpus), "corpus.jsonl", &out)
	if err != nil {
		t.Fatal(err)
	}
	return out.Bytes(), s
}

func fixture(t testing.TB) []byte {
	data, err := os.ReadFile("testdata/corpus.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func parseCases(t testing.TB, data []byte) []cxrkit.Case {
	var out []cxrkit.Case
	err := cxrkit.ReadJSONL(bytes.NewReader(data), "cases", func(_ int, c *cxrkit.Case) error {
		out = append(out, *c)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestGolden(t *testing.T) {
	got, s := generate(t, Options{Seed: 0}, fixture(t))
	path := "testdata/golden_cases.jsonl"
	if *update {
		os.WriteFile(path, got, 0o644)
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("cases differ from %s (rerun with -update after checking)", path)
	}
	// 5 records: 4 with positives, 1 normal, 1 with every positive.
	want6 := map[cxrkit.CaseType]int{cxrkit.CaseFaithful: 5, cxrkit.CaseMissing: 4, cxrkit.CaseUnsupported: 4, cxrkit.CaseDenied: 4, cxrkit.CaseNegatedFaithful: 4, cxrkit.CaseMixed: 3}
	for k, v := range want6 {
		if s.Cases[k] != v {
			t.Errorf("%s: %d cases, want %d", k, s.Cases[k], v)
		}
	}
	if s.Skipped[cxrkit.CaseMissing][skipNoPositive] != 1 || s.Skipped[cxrkit.CaseUnsupported][skipAllPresent] != 1 || s.Skipped[cxrkit.CaseMixed][skipNoPositive]+s.Skipped[cxrkit.CaseMixed][skipAllPresent] != 2 {
		t.Errorf("skipped %v", s.Skipped)
	}
}

func TestDeterminismAndIndependence(t *testing.T) {
	corpus := fixture(t)
	a, _ := generate(t, Options{Seed: 7}, corpus)
	b, _ := generate(t, Options{Seed: 7}, corpus)
	if !bytes.Equal(a, b) {
		t.Fatal("same seed, different output")
	}
	c, _ := generate(t, Options{Seed: 8}, corpus)
	if bytes.Equal(a, c) {
		t.Fatal("another seed gave identical drafts")
	}
	byID := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(a)), "\n") {
		c := parseCases(t, []byte(line))[0]
		byID[c.CaseID] = line
	}
	// Drop two records and two case types: every remaining case is
	// byte-identical to the full run's.
	lines := strings.Split(strings.TrimSpace(string(corpus)), "\n")
	sub := []byte(lines[1] + "\n" + lines[4] + "\n")
	d, _ := generate(t, Options{Seed: 7, CaseTypes: []cxrkit.CaseType{cxrkit.CaseMixed, cxrkit.CaseMissing}}, sub)
	n := 0
	for _, line := range strings.Split(strings.TrimSpace(string(d)), "\n") {
		c := parseCases(t, []byte(line))[0]
		if byID[c.CaseID] != line {
			t.Errorf("%s changed when other records and case types were removed", c.CaseID)
		}
		n++
	}
	if n != 3 {
		t.Errorf("subset produced %d cases, want 3", n)
	}
}

// checkCase verifies one case against its record: spans are verbatim,
// statuses match the case type, and the expected audit is the
// comparator's answer with the corruption where the type puts it.
func checkCase(t *testing.T, rec cxrkit.Record, c cxrkit.Case, urgent []labelmap.Label) {
	t.Helper()
	for _, d := range c.DraftFindings {
		if d.Span == "" || !strings.Contains(c.DraftText, d.Span) {
			t.Fatalf("%s: span %q not in draft %q", c.CaseID, d.Span, c.DraftText)
		}
	}
	want := audit.Compare(rec.Findings, c.DraftFindings, audit.CompareOptions{Urgent: urgent})
	if fmt.Sprint(want) != fmt.Sprint(*c.ExpectedAudit) {
		t.Fatalf("%s: expected_audit %+v, comparator says %+v", c.CaseID, *c.ExpectedAudit, want)
	}
	a := c.ExpectedAudit
	corrupted := []labelmap.Label(c.CorruptedLabels)
	present := cxrkit.PositiveLabels(rec.Findings)
	var gotMissing, gotUnsup []labelmap.Label = a.MissingFindings, a.UnsupportedClaims
	switch c.CaseType {
	case cxrkit.CaseFaithful, cxrkit.CaseNegatedFaithful:
		if len(gotMissing)+len(gotUnsup)+len(corrupted) != 0 {
			t.Fatalf("%s: flags %+v corrupted %v", c.CaseID, a, corrupted)
		}
	case cxrkit.CaseMissing:
		if len(corrupted) != 1 || !slices.Equal(gotMissing, corrupted) || len(gotUnsup) != 0 {
			t.Fatalf("%s: %+v corrupted %v", c.CaseID, a, corrupted)
		}
	case cxrkit.CaseDenied:
		if len(corrupted) != 1 || !slices.Equal(gotMissing, corrupted) || len(gotUnsup) != 0 {
			t.Fatalf("%s: %+v corrupted %v", c.CaseID, a, corrupted)
		}
		denied := false
		for _, d := range c.DraftFindings {
			denied = denied || (d.Label == corrupted[0] && d.Status == cxrkit.Absent)
		}
		if !denied {
			t.Fatalf("%s: %s not explicitly negated in %q", c.CaseID, corrupted[0], c.DraftText)
		}
	case cxrkit.CaseUnsupported:
		if len(corrupted) != 1 || !slices.Equal(gotUnsup, corrupted) || len(gotMissing) != 0 || slices.Contains(present, corrupted[0]) {
			t.Fatalf("%s: %+v corrupted %v", c.CaseID, a, corrupted)
		}
	case cxrkit.CaseMixed:
		if len(corrupted) != 2 || len(gotMissing) != 1 || len(gotUnsup) != 1 {
			t.Fatalf("%s: %+v corrupted %v", c.CaseID, a, corrupted)
		}
	}
	if c.CaseType == cxrkit.CaseNegatedFaithful {
		neg := 0
		for _, d := range c.DraftFindings {
			if d.Status == cxrkit.Absent {
				neg++
			}
		}
		if neg == 0 {
			t.Fatalf("%s: no negation in %q", c.CaseID, c.DraftText)
		}
	}
	for _, l := range present {
		if slices.Contains(urgent, l) != slices.Contains(a.UrgentReviewFlags, l) {
			t.Fatalf("%s: urgent %v for present %v", c.CaseID, a.UrgentReviewFlags, present)
		}
	}
}

func TestCasesFollowTheirType(t *testing.T) {
	v, _ := labelmap.Default()
	data, _ := generate(t, Options{Seed: 3}, fixture(t))
	recs := map[string]cxrkit.Record{}
	cxrkit.ReadJSONL(bytes.NewReader(fixture(t)), "c", func(_ int, r *cxrkit.Record) error { recs[r.Key()] = *r; return nil })
	for _, c := range parseCases(t, data) {
		checkCase(t, recs[string(c.Source)+":"+c.ImageID], c, v.Urgent())
	}
}

func TestLateralityFromBoxes(t *testing.T) {
	b, err := LoadPhraseBank("")
	if err != nil {
		t.Fatal(err)
	}
	box := func(y0, x0, y1, x1 float64) *boxes.Box { return &boxes.Box{Y0: y0, X0: x0, Y1: y1, X1: x1} }
	tests := []struct {
		fs               []cxrkit.Finding
		side, zone, size string
	}{
		{[]cxrkit.Finding{{Label: labelmap.PleuralEffusion, Box: box(0.7, 0.1, 0.9, 0.3)}}, "right", "lower", "moderate"},
		{[]cxrkit.Finding{{Label: labelmap.PleuralEffusion, Box: box(0.7, 0.6, 0.75, 0.7)}}, "left", "lower", "small"},
		{[]cxrkit.Finding{{Label: labelmap.PleuralEffusion, Box: box(0.7, 0.1, 0.8, 0.2)}, {Label: labelmap.PleuralEffusion, Box: box(0.2, 0.7, 0.3, 0.8)}}, "bilateral", "", "small"},
		{[]cxrkit.Finding{{Label: labelmap.PleuralEffusion}}, "", "", ""},
	}
	for _, tt := range tests {
		w := b.locate(labelmap.PleuralEffusion, tt.fs)
		if w.side != tt.side || w.zone != tt.zone || w.size != tt.size {
			t.Errorf("%v: got %+v, want side %q zone %q size %q", tt.fs, w, tt.side, tt.zone, tt.size)
		}
	}
	rng := rand.New(rand.NewPCG(1, 1))
	for range 200 {
		st := b.presentStatement(labelmap.PleuralEffusion, where{}, rng)
		if strings.Contains(st.text, "{") || strings.Contains(strings.ToLower(st.text), "left") || strings.Contains(strings.ToLower(st.text), "right") {
			t.Fatalf("box-less finding worded with a side or placeholder: %q", st.text)
		}
	}
}

// TestPropertyRandomCorpora generates cases for random records and checks
// every case against its record.
func TestPropertyRandomCorpora(t *testing.T) {
	v, _ := labelmap.Default()
	rng := rand.New(rand.NewPCG(11, 12))
	var buf bytes.Buffer
	recs := map[string]cxrkit.Record{}
	for i := range 300 {
		r := cxrkit.Record{ImageID: fmt.Sprintf("r%d", i), Source: "vindr", Split: "train"}
		for _, l := range labelmap.Positives() {
			for k := rng.IntN(4) - 1; k > 0; k-- {
				y, x := rng.Float64()*0.8, rng.Float64()*0.8
				var b *boxes.Box
				if rng.IntN(4) > 0 {
					b = &boxes.Box{Y0: y, X0: x, Y1: y + 0.01 + rng.Float64()*0.19, X1: x + 0.01 + rng.Float64()*0.19}
				}
				r.Findings = append(r.Findings, cxrkit.Finding{Label: l, Box: b})
			}
		}
		if len(r.Findings) == 0 {
			r.Findings = cxrkit.NoFindingList()
		}
		recs[r.Key()] = r
		cxrkit.NewJSONLEncoder(&buf).Encode(r)
	}
	data, s := generate(t, Options{Seed: 99}, buf.Bytes())
	for _, c := range parseCases(t, data) {
		checkCase(t, recs[string(c.Source)+":"+c.ImageID], c, v.Urgent())
	}
	t.Logf("%d cases, %d distinct drafts", s.Total, s.DistinctDrafts)
}

func TestCorruptedLabelIsNotAlwaysTheFirst(t *testing.T) {
	line := `{"image_id":"x%d","source":"vindr","split":"train","findings":[{"label":"pleural_effusion","box_2d":null},{"label":"pneumothorax","box_2d":null},{"label":"cardiomegaly","box_2d":null}]}` + "\n"
	var corpus bytes.Buffer
	for i := range 60 {
		fmt.Fprintf(&corpus, line, i)
	}
	data, _ := generate(t, Options{CaseTypes: []cxrkit.CaseType{cxrkit.CaseMissing}}, corpus.Bytes())
	seen := map[labelmap.Label]int{}
	for _, c := range parseCases(t, data) {
		seen[c.CorruptedLabels[0]]++
	}
	if len(seen) != 3 {
		t.Fatalf("dropped labels %v, want all three drawn", seen)
	}
}

func TestPhraseBankValidation(t *testing.T) {
	def, _ := os.ReadFile("../configs/phrases.yaml")
	tests := []struct {
		name, from, to, want string
	}{
		{"unknown label", "  pneumothorax:\n    - \"{size} {side} pneumothorax\"", "  pneumothoraxx:\n    - \"{size} {side} pneumothorax\"", "not a positive canonical label"},
		{"bad placeholder", "\"{size} {side} pleural effusion\"", "\"{size} {lobe} pleural effusion\"", "placeholder {lobe} not allowed"},
		{"too few normal", "  - \"normal chest\"\n", "", ""},
		{"placeholder in negation", "\"no pneumothorax\"", "\"no {side} pneumothorax\"", "placeholder {side} not allowed"},
		{"unknown key", "names:", "nicknames:", "unknown key \"nicknames\""},
	}
	for _, tt := range tests {
		doc := strings.Replace(string(def), tt.from, tt.to, 1)
		if doc == string(def) {
			t.Fatalf("%s: replacement did not apply", tt.name)
		}
		_, err := ParsePhraseBank([]byte(doc), "p.yaml")
		if tt.want == "" {
			if err != nil {
				t.Errorf("%s: %v", tt.name, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "p.yaml:") {
			t.Errorf("%s: err = %v, want %q with a line", tt.name, err, tt.want)
		}
	}
	few := strings.Replace(string(def), "  - \"normal chest\"\n", "", 1)
	few = strings.Replace(few, "  - \"no acute intrathoracic abnormality\"\n", "", 1)
	if _, err := ParsePhraseBank([]byte(few), "p.yaml"); err == nil || !strings.Contains(err.Error(), "at least 6") {
		t.Errorf("5 normal lines accepted: %v", err)
	}
}

func TestPhraseBankHasRequiredVariety(t *testing.T) {
	b, err := LoadPhraseBank("")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range labelmap.Positives() {
		if len(b.present[l]) < minPresent || len(b.absent[l]) < minAbsent {
			t.Errorf("%s: %d present, %d absent wordings", l, len(b.present[l]), len(b.absent[l]))
		}
	}
	if len(b.normal) < minNormal {
		t.Errorf("%d normal lines", len(b.normal))
	}
}

func BenchmarkGenerate15000(b *testing.B) {
	rng := rand.New(rand.NewPCG(5, 6))
	var buf bytes.Buffer
	for i := range 15000 {
		r := cxrkit.Record{ImageID: fmt.Sprintf("%032x", i), Source: "vindr", Split: "train"}
		for _, l := range labelmap.Positives() {
			if rng.IntN(4) == 0 {
				y, x := rng.Float64()*0.7, rng.Float64()*0.7
				r.Findings = append(r.Findings, cxrkit.Finding{Label: l, Box: &boxes.Box{Y0: y, X0: x, Y1: y + 0.2, X1: x + 0.2}})
			}
		}
		if len(r.Findings) == 0 {
			r.Findings = cxrkit.NoFindingList()
		}
		cxrkit.NewJSONLEncoder(&buf).Encode(r)
	}
	g, _ := NewGenerator(Options{})
	b.ResetTimer()
	cases := 0
	for i := 0; i < b.N; i++ {
		s, err := g.Generate(context.Background(), bytes.NewReader(buf.Bytes()), "c", ioDiscard{})
		if err != nil {
			b.Fatal(err)
		}
		cases += s.Total
	}
	b.ReportMetric(float64(cases)/b.Elapsed().Seconds(), "cases/s")
}

type ioDiscard struct{}

func (ioDiscard) Write(p []byte) (int, error) { return len(p), nil }
