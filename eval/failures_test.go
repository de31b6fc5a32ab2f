package eval

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/cxrkit/cxrkit"
)

// failingResults has, for images/cases a..e: a usable prediction, an
// errored one, an unreadable answer, one whose draft answer was
// unreadable (an error for image mode too, as the result carries it) and
// none for e.
func failingResults() ([]cxrkit.Record, []cxrkit.Case, []cxrkit.Result) {
	msg := "endpoint: 503"
	verdict := &cxrkit.Audit{}
	var gold []cxrkit.Record
	var cases []cxrkit.Case
	for _, id := range []string{"a", "b", "c", "d", "e"} {
		gold = append(gold, rec(id, f(eff, bx(0.6, 0.1, 0.9, 0.4))))
		cases = append(cases, cxrkit.Case{CaseID: id, ImageID: id, Source: "vindr", CaseType: "faithful", ExpectedAudit: &cxrkit.Audit{}})
	}
	ok := pred("a", f(eff, bx(0.6, 0.1, 0.9, 0.4)))
	ok.Audit, ok.Parse.Draft = verdict, cxrkit.ParseRules
	errored := cxrkit.Result{CaseID: "b", ImageID: "b", Source: "vindr", Error: &msg, Parse: cxrkit.Parse{Grounding: cxrkit.ParseFailed, Draft: cxrkit.ParseRules}}
	unreadable := cxrkit.Result{CaseID: "c", ImageID: "c", Source: "vindr", Error: &msg, RawGrounding: "I think there is", Parse: cxrkit.Parse{Grounding: cxrkit.ParseFailed, Draft: cxrkit.ParseRules}}
	draftUnreadable := pred("d", f(eff, bx(0.6, 0.1, 0.9, 0.4)))
	draftUnreadable.Parse.Draft, draftUnreadable.RawDraft, draftUnreadable.Error = cxrkit.ParseFailed, "{oops", &msg
	return gold, cases, []cxrkit.Result{ok, errored, unreadable, draftUnreadable}
}

// TestOneFailureVocabulary: image and audit reports count failures in the
// same words and warn above the share.
func TestOneFailureVocabulary(t *testing.T) {
	gold, cases, results := failingResults()
	d, err := NewDataset(gold, results, ImageOptions{})
	if err != nil {
		t.Fatal(err)
	}
	img := Evaluate(d, ImageOptions{})
	aud := EvaluateAudit(cases, results)
	tests := []struct {
		name string
		got  Failures
		want string
	}{
		{"image", img.Failures, "failed predictions: 4 of 5 images (80.0%): 1 no prediction, 2 error, 1 unreadable answer"},
		{"audit", aud.Failures, "failed predictions: 4 of 5 cases (80.0%): 1 no prediction, 1 error, 2 unreadable answer"},
	}
	for _, tt := range tests {
		noun := "images"
		if tt.name == "audit" {
			noun = "cases"
		}
		if s := tt.got.Summary(noun); s != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, s, tt.want)
		}
		if !tt.got.Warn || tt.got.WarnAbove != DefaultWarnFailedShare {
			t.Errorf("%s: no warning at %v", tt.name, *tt.got.Share)
		}
	}
	// The old image-mode count is the same number.
	if img.ParseFailures != img.Failures.Failed {
		t.Errorf("parse_failures %d, failures.failed %d", img.ParseFailures, img.Failures.Failed)
	}
	// Every rendering carries the banner and the same words.
	var md, page, amd, apage bytes.Buffer
	img.WriteMarkdown(&md, "t")
	img.WriteHTML(&page, "t")
	aud.WriteMarkdown(&amd, "t")
	aud.WriteHTML(&apage, "t")
	for name, out := range map[string]string{"image md": md.String(), "image html": page.String(), "audit md": amd.String(), "audit html": apage.String()} {
		if !strings.Contains(out, "Warning: ") || !strings.Contains(out, "no prediction") || !strings.Contains(out, "unreadable answer") {
			t.Errorf("%s lacks the banner or the words:\n%.600s", name, out)
		}
	}
	// At or below the share: no banner.
	quiet := Evaluate(d, ImageOptions{WarnFailedShare: 0.8})
	var q bytes.Buffer
	quiet.WriteHTML(&q, "t")
	if quiet.Failures.Warn || strings.Contains(q.String(), "Warning: ") {
		t.Error("warned at exactly the share")
	}
}

// TestBySource: each dataset's figures come from its own images.
func TestBySource(t *testing.T) {
	gold := []cxrkit.Record{rec("a", f(eff, bx(0.6, 0.1, 0.9, 0.4))), rec("b", f(car, bx(0.5, 0.3, 0.8, 0.7)))}
	gold[1].Source = cxrkit.SourceNIH
	p := pred("b", f(car, bx(0.5, 0.3, 0.8, 0.7)))
	p.Source = cxrkit.SourceNIH
	d, err := NewDataset(gold, []cxrkit.Result{pred("a"), p}, ImageOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r := Evaluate(d, ImageOptions{})
	if strings.Join(r.BySource.Keys, ",") != "vindr,nih" {
		t.Fatalf("sources %v", r.BySource.Keys)
	}
	v, n := r.BySource.Values["vindr"], r.BySource.Values["nih"]
	if v.Images != 1 || val(v.MacroF1) != 0 || n.Images != 1 || val(n.MacroF1) != 1 || val(n.Localization.Values["0.5"]) != 1 {
		t.Errorf("vindr %+v nih %+v", v, n)
	}
	var page bytes.Buffer
	r.WriteHTML(&page, "t")
	if !strings.Contains(page.String(), "<td>NIH ChestX-ray14</td><td>1</td><td>0</td><td>1.000</td>") {
		t.Errorf("by-source table missing:\n%s", page.String())
	}
}

// TestChartLabelsFitAndAxesNumbered: the longest label fits its column
// and both chart kinds number their x axis.
func TestChartLabelsFitAndAxesNumbered(t *testing.T) {
	long := "loc/0.5/lung_opacity_consolidation/rate (tie)"
	one, zero := 0.5, 0.0
	for name, svg := range map[string]string{
		"bars":   barChart([]bar{{label: long, value: &one}}, 0, 1, "F1"),
		"forest": forestChart([]bar{{label: long, value: &zero}}, "B − A"),
	} {
		m := regexp.MustCompile(`<text x="(\d+)" y="\d+" text-anchor="end">`).FindStringSubmatch(svg)
		if m == nil {
			t.Fatalf("%s: no label", name)
		}
		right, _ := strconv.Atoi(m[1])
		if float64(right) < float64(len(long))*6.5 {
			t.Errorf("%s: label column %dpx for %d characters (clipped)", name, right, len(long))
		}
	}
	if s := forestChart([]bar{{label: "x", value: &zero}}, "B − A"); !strings.Contains(s, ">+0.050<") || !strings.Contains(s, ">-0.025<") || !strings.Contains(s, ">+0.000<") {
		t.Errorf("forest axis not numbered: %s", s)
	}
	for _, tt := range []struct{ in, want float64 }{{0.05, 0.05}, {0.956, 1}, {0.3, 0.5}, {0.21, 0.25}, {0.0123, 0.02}, {1.7, 2}} {
		if got := niceCeil(tt.in); got < tt.want-1e-12 || got > tt.want+1e-12 {
			t.Errorf("niceCeil(%g) = %g, want %g", tt.in, got, tt.want)
		}
	}
	if s := barChart([]bar{{label: "x", value: &one}}, 0, 1, "F1"); !strings.Contains(s, ">0.25<") || !strings.Contains(s, ">F1<") {
		t.Errorf("bar axis not numbered or untitled: %s", s)
	}
}
