package audit

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/labelmap"
)

type fixedGrounder struct {
	g   cxrkit.Grounding
	err error
}

func (f fixedGrounder) Ground(context.Context, cxrkit.ImageRef) (cxrkit.Grounding, error) {
	return f.g, f.err
}

type fixedDrafts struct{ r cxrkit.DraftReading }

func (f fixedDrafts) ReadDraft(context.Context, string) (cxrkit.DraftReading, error) { return f.r, nil }

// TestNoVerdictWithoutReadings: whenever the image or the draft was not
// read, the result carries an error and "audit": null, never an empty
// audit that a page would show as "the draft agrees with the image".
func TestNoVerdictWithoutReadings(t *testing.T) {
	rules, err := NewRulesParser("")
	if err != nil {
		t.Fatal(err)
	}
	ok := cxrkit.Grounding{Status: cxrkit.ParseOK, Findings: []cxrkit.Finding{{Label: labelmap.Pneumothorax}}, Attempts: 1}
	tests := []struct {
		name    string
		g       Grounder
		d       DraftReader
		verdict bool
	}{
		{"transport error", fixedGrounder{err: errors.New("HTTP 502: bad gateway")}, rules, false},
		{"answer never parsed", fixedGrounder{g: cxrkit.Grounding{Status: cxrkit.ParseFailed, Attempts: 3, Raw: "normal study"}}, rules, false},
		{"draft not read", fixedGrounder{g: ok}, fixedDrafts{cxrkit.DraftReading{Status: cxrkit.ParseFailed}}, false},
		{"both read", fixedGrounder{g: ok}, rules, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &Auditor{Grounder: tt.g, Drafts: tt.d}
			r := a.Audit(context.Background(), Input{CaseID: "c", DraftText: "No pneumothorax.", Image: cxrkit.ImageRef{ImageID: "i"}})
			line, _ := json.Marshal(r)
			if tt.verdict {
				if r.Audit == nil || r.Error != nil {
					t.Fatalf("no verdict: %s", line)
				}
				return
			}
			if r.Audit != nil || r.Error == nil || !strings.Contains(string(line), `"audit":null`) {
				t.Fatalf("want audit null and an error: %s", line)
			}
		})
	}
}
