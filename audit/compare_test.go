package audit

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/labelmap"
)

func img(labels ...labelmap.Label) []cxrkit.Finding {
	var fs []cxrkit.Finding
	for _, l := range labels {
		fs = append(fs, cxrkit.Finding{Label: l})
	}
	return fs
}

func drf(l labelmap.Label, s cxrkit.Status) cxrkit.DraftFinding {
	return cxrkit.DraftFinding{Label: l, Status: s, Span: string(l)}
}

func TestCompareMatrix(t *testing.T) {
	const eff = labelmap.PleuralEffusion
	tests := []struct {
		name        string
		image       []cxrkit.Finding
		draft       []cxrkit.DraftFinding
		missing     []labelmap.Label
		unsupported []labelmap.Label
	}{
		{"present/silent → missing", img(eff), nil, []labelmap.Label{eff}, nil},
		{"present/present → ok", img(eff), []cxrkit.DraftFinding{drf(eff, cxrkit.Present)}, nil, nil},
		{"present/absent → missing (denied)", img(eff), []cxrkit.DraftFinding{drf(eff, cxrkit.Absent)}, []labelmap.Label{eff}, nil},
		{"present/uncertain → ok", img(eff), []cxrkit.DraftFinding{drf(eff, cxrkit.Uncertain)}, nil, nil},
		{"absent/present → unsupported", img(), []cxrkit.DraftFinding{drf(eff, cxrkit.Present)}, nil, []labelmap.Label{eff}},
		{"absent/uncertain → unsupported", img(), []cxrkit.DraftFinding{drf(eff, cxrkit.Uncertain)}, nil, []labelmap.Label{eff}},
		{"absent/absent → nothing", img(), []cxrkit.DraftFinding{drf(eff, cxrkit.Absent)}, nil, nil},
		{"absent/silent → nothing", img(labelmap.NoFinding), nil, nil, nil},
		{"asserted and denied → asserted", img(eff), []cxrkit.DraftFinding{drf(eff, cxrkit.Absent), drf(eff, cxrkit.Present)}, nil, nil},
		{"normal draft on abnormal image", img(eff, labelmap.Cardiomegaly), []cxrkit.DraftFinding{drf(labelmap.NoFinding, cxrkit.Present)},
			[]labelmap.Label{eff, labelmap.Cardiomegaly}, nil},
		{"no_finding in image never flagged", img(labelmap.NoFinding), []cxrkit.DraftFinding{drf(labelmap.NoFinding, cxrkit.Absent)}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := Compare(tt.image, tt.draft, CompareOptions{})
			if !slices.Equal(a.MissingFindings, tt.missing) || !slices.Equal(a.UnsupportedClaims, tt.unsupported) {
				t.Fatalf("audit %+v, want missing %v unsupported %v", a, tt.missing, tt.unsupported)
			}
		})
	}
}

func TestCompareUncertainAsAbsent(t *testing.T) {
	eff := labelmap.PleuralEffusion
	a := Compare(img(eff), []cxrkit.DraftFinding{drf(eff, cxrkit.Uncertain)}, CompareOptions{UncertainAsAbsent: true})
	if !slices.Equal(a.MissingFindings, []labelmap.Label{eff}) {
		t.Fatalf("%+v", a)
	}
	a = Compare(img(), []cxrkit.DraftFinding{drf(eff, cxrkit.Uncertain)}, CompareOptions{UncertainAsAbsent: true})
	if len(a.UnsupportedClaims) != 0 {
		t.Fatalf("%+v", a)
	}
}

func TestCompareUrgent(t *testing.T) {
	v, err := labelmap.Default()
	if err != nil {
		t.Fatal(err)
	}
	a := Compare(img(labelmap.Cardiomegaly, labelmap.NoduleMass, labelmap.Pneumothorax),
		[]cxrkit.DraftFinding{drf(labelmap.Pneumothorax, cxrkit.Present)}, CompareOptions{Urgent: v.Urgent()})
	if !slices.Equal(a.UrgentReviewFlags, []labelmap.Label{labelmap.Pneumothorax, labelmap.NoduleMass}) {
		t.Fatalf("urgent %v: every image-present urgent label, reported or not, canonical order", a.UrgentReviewFlags)
	}
	a = Compare(img(labelmap.Cardiomegaly), nil, CompareOptions{Urgent: []labelmap.Label{labelmap.Cardiomegaly}})
	if !slices.Equal(a.UrgentReviewFlags, []labelmap.Label{labelmap.Cardiomegaly}) {
		t.Fatalf("custom whitelist: %v", a.UrgentReviewFlags)
	}
}

// TestCompareProperties checks invariants over random images and drafts.
func TestCompareProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	statuses := []cxrkit.Status{cxrkit.Present, cxrkit.Absent, cxrkit.Uncertain}
	for i := range 2000 {
		var image []cxrkit.Finding
		var draft []cxrkit.DraftFinding
		for _, l := range labelmap.All() {
			if rng.IntN(3) == 0 {
				image = append(image, cxrkit.Finding{Label: l})
			}
			if rng.IntN(3) == 0 {
				draft = append(draft, drf(l, statuses[rng.IntN(3)]))
			}
		}
		a := Compare(image, draft, CompareOptions{Urgent: labelmap.Positives()})
		for _, list := range [][]labelmap.Label{a.MissingFindings, a.UnsupportedClaims, a.UrgentReviewFlags} {
			if slices.Contains(list, labelmap.NoFinding) {
				t.Fatalf("case %d: no_finding flagged: %+v", i, a)
			}
			if !slices.IsSortedFunc(list, func(x, y labelmap.Label) int { return x.Index() - y.Index() }) {
				t.Fatalf("case %d: not canonical order: %v", i, list)
			}
		}
		for _, l := range a.MissingFindings {
			if slices.Contains(a.UnsupportedClaims, l) {
				t.Fatalf("case %d: %s both missing and unsupported", i, l)
			}
		}
		// Perfect draft: state every image positive, nothing else.
		var perfect []cxrkit.DraftFinding
		for _, f := range image {
			if f.Label.Positive() {
				perfect = append(perfect, drf(f.Label, cxrkit.Present))
			}
		}
		if p := Compare(image, perfect, CompareOptions{}); len(p.MissingFindings)+len(p.UnsupportedClaims) != 0 {
			t.Fatalf("case %d: faithful draft flagged: %s", i, fmt.Sprint(p))
		}
	}
}
