package audit

import (
	"context"
	"errors"
	"testing"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/labelmap"
)

// TestReadImage: an image-only reading has the findings and never a
// verdict; a failed grounding is an error.
func TestReadImage(t *testing.T) {
	ok := cxrkit.Grounding{Status: cxrkit.ParseOK, Findings: []cxrkit.Finding{{Label: labelmap.Pneumothorax}}, Attempts: 1}
	tests := []struct {
		name     string
		g        Grounder
		findings int
	}{
		{"read", fixedGrounder{g: ok}, 1},
		{"unreadable answer", fixedGrounder{g: cxrkit.Grounding{Status: cxrkit.ParseFailed, Attempts: 3}}, 0},
		{"transport", fixedGrounder{err: errors.New("connection refused")}, 0},
	}
	for _, tt := range tests {
		a := &Auditor{Grounder: tt.g}
		res, cause := a.ReadImage(context.Background(), Input{CaseID: "c", DraftText: "Pneumothorax.", Image: cxrkit.ImageRef{ImageID: "x"}})
		if res.Audit != nil || res.Parse.Draft != cxrkit.ParseNone || len(res.ImageFindings) != tt.findings || len(res.DraftFindings) != 0 {
			t.Errorf("%s: %+v", tt.name, res)
		}
		if (res.Error == nil) != (tt.findings == 1) || (cause == nil) != (res.Error == nil) {
			t.Errorf("%s: error %v, cause %v", tt.name, res.Error, cause)
		}
	}
}
