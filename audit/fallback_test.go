package audit_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/audit"
)

type scriptedDrafts struct {
	r   cxrkit.DraftReading
	err error
}

func (s scriptedDrafts) ReadDraft(context.Context, string) (cxrkit.DraftReading, error) {
	return s.r, s.err
}

func TestFallbackSaysWhyAndStrictKeepsErrors(t *testing.T) {
	rules, err := audit.NewRulesParser("")
	if err != nil {
		t.Fatal(err)
	}
	down := errors.New("connection refused")
	tests := []struct {
		name         string
		model        scriptedDrafts
		strict       bool
		wantParse    cxrkit.ParseStatus
		wantFallback string
		wantErr      bool
	}{
		{"model answers", scriptedDrafts{r: cxrkit.DraftReading{Status: cxrkit.ParseOK}}, false, cxrkit.ParseOK, "", false},
		{"model unreadable", scriptedDrafts{r: cxrkit.DraftReading{Status: cxrkit.ParseFailed, Raw: "??"}}, false, cxrkit.ParseRules, "its answer could not be parsed", false},
		{"model down", scriptedDrafts{err: down}, false, cxrkit.ParseRules, "connection refused", false},
		{"model down, strict", scriptedDrafts{err: down}, true, cxrkit.ParseFailed, "", true},
		{"unreadable, strict still falls back", scriptedDrafts{r: cxrkit.DraftReading{Status: cxrkit.ParseFailed}}, true, cxrkit.ParseRules, "could not be parsed", false},
	}
	for _, tt := range tests {
		f := audit.Fallback{Model: tt.model, Rules: rules, Strict: tt.strict}
		r, err := f.ReadDraft(context.Background(), "Cardiomegaly.")
		if (err != nil) != tt.wantErr {
			t.Errorf("%s: err %v", tt.name, err)
			continue
		}
		if tt.wantErr {
			continue
		}
		if r.Status != tt.wantParse || (tt.wantFallback == "") != (r.Fallback == "") || !strings.Contains(r.Fallback, tt.wantFallback) {
			t.Errorf("%s: parse %q fallback %q", tt.name, r.Status, r.Fallback)
		}
	}
	// The reason reaches the result.
	a := &audit.Auditor{Grounder: audit.NewGoldGrounder([]cxrkit.Record{{ImageID: "i", Source: "s", Findings: cxrkit.NoFindingList()}}),
		Drafts: audit.Fallback{Model: scriptedDrafts{err: down}, Rules: rules}}
	res := a.Audit(context.Background(), audit.Input{CaseID: "c", DraftText: "Normal chest.", Image: cxrkit.ImageRef{Source: "s", ImageID: "i"}})
	if res.Parse.Draft != cxrkit.ParseRules || !strings.Contains(res.Parse.DraftFallback, "connection refused") {
		t.Fatalf("result parse %+v", res.Parse)
	}
}
