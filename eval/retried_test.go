package eval

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/boxes"
	"github.com/cxrkit/cxrkit/labelmap"
)

// TestFailedResultsNeverConflict: in image mode, a failed reading of an
// image (an errored case of a partial audit) neither conflicts with nor
// replaces the image's complete ones, in either order; two different
// complete readings stay an error.
func TestFailedResultsNeverConflict(t *testing.T) {
	gold := []cxrkit.Record{{ImageID: "a", Source: cxrkit.SourceNIH, Split: cxrkit.SplitTrain,
		Findings: []cxrkit.Finding{{Label: labelmap.Cardiomegaly}}}}
	msg := "connection refused"
	ok := cxrkit.Result{CaseID: "a:faithful", ImageID: "a", Source: cxrkit.SourceNIH, Parse: cxrkit.Parse{Grounding: cxrkit.ParseOK},
		ImageFindings: []cxrkit.Finding{{Label: labelmap.Cardiomegaly}}, Audit: &cxrkit.Audit{}}
	failed := cxrkit.Result{CaseID: "a:missing", ImageID: "a", Source: cxrkit.SourceNIH, Parse: cxrkit.Parse{Grounding: cxrkit.ParseFailed}, Error: &msg}
	other := ok
	other.CaseID, other.ImageFindings = "a:unsupported", []cxrkit.Finding{{Label: labelmap.Cardiomegaly, Box: &boxes.Box{Y0: 0.1, X0: 0.1, Y1: 0.5, X1: 0.5}}}
	tests := []struct {
		name     string
		pred     []cxrkit.Result
		failures int
		err      string
	}{
		{"failed then complete", []cxrkit.Result{failed, ok}, 0, ""},
		{"complete then failed", []cxrkit.Result{ok, failed}, 0, ""},
		{"failed only", []cxrkit.Result{failed, failed}, 1, ""},
		{"two different complete", []cxrkit.Result{ok, failed, other}, 0, "two different predictions"},
	}
	for _, tt := range tests {
		d, err := NewDataset(gold, tt.pred, ImageOptions{})
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: err %v, want %q", tt.name, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		r := Evaluate(d, ImageOptions{})
		want := 1.0
		if tt.failures > 0 {
			want = 0
		}
		if r.ParseFailures != tt.failures || val(r.Presence.MacroF1) != want {
			t.Errorf("%s: %d parse failures, macro F1 %v; want %d, %v", tt.name, r.ParseFailures, val(r.Presence.MacroF1), tt.failures, want)
		}
	}
}

// TestLoadResultsRetriedCase: a case's failed line followed (or preceded)
// by its complete retry loads as the complete result; two complete lines
// for one case are a duplicate.
func TestLoadResultsRetriedCase(t *testing.T) {
	good := `{"case_id":"c1","image_id":"a","image_findings":[],"audit":{"missing_findings":["cardiomegaly"],"unsupported_claims":[],"urgent_review_flags":[]},"parse":{"grounding":"ok","draft":"rules"},"error":null}`
	errored := `{"case_id":"c1","image_id":"a","image_findings":[],"audit":null,"parse":{"grounding":"failed","draft":"rules"},"error":"HTTP 500"}`
	noVerdict := `{"case_id":"c1","image_id":"a","image_findings":[],"audit":null,"parse":{"grounding":"failed","draft":"rules"},"error":null}`
	other := `{"case_id":"c2","image_id":"b","image_findings":[],"audit":{"missing_findings":[],"unsupported_claims":[],"urgent_review_flags":[]},"parse":{"grounding":"ok","draft":"rules"},"error":null}`
	tests := []struct {
		name    string
		lines   []string
		wantErr string // "" → c1 loads with the given error state
		failed  bool
	}{
		{"errored then retried", []string{errored, other, good}, "", false},
		{"no verdict then retried", []string{noVerdict, good}, "", false},
		{"complete then errored", []string{good, errored}, "", false},
		{"errored twice", []string{errored, noVerdict}, "", true},
		{"two complete", []string{good, other, good}, `duplicate key "c1" (first at line 1)`, false},
	}
	for _, tt := range tests {
		path := filepath.Join(t.TempDir(), "r.jsonl")
		os.WriteFile(path, []byte(strings.Join(tt.lines, "\n")+"\n"), 0o644)
		rs, err := LoadResults(path)
		if tt.wantErr != "" {
			if !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%s: err %v, want %q", tt.name, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		var c1 []cxrkit.Result
		for _, r := range rs {
			if r.CaseID == "c1" {
				c1 = append(c1, r)
			}
		}
		if len(c1) != 1 || resultFailed(&c1[0]) != tt.failed {
			t.Errorf("%s: c1 loaded as %+v; want one result, failed %v", tt.name, c1, tt.failed)
		}
		if rs[0].CaseID != "c1" {
			t.Errorf("%s: order %v: a retried case keeps its first place", tt.name, rs)
		}
	}
}
