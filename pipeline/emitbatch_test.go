package pipeline

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/audit"
	"github.com/cxrkit/cxrkit/infer"
)

// wordyGrounder fails with an error whose text merely quotes the
// recorder's answer: only a real infer.ErrRecorded means "recorded".
type wordyGrounder struct{ err error }

func (g wordyGrounder) Ground(context.Context, cxrkit.ImageRef) (cxrkit.Grounding, error) {
	return cxrkit.Grounding{}, g.err
}

func TestEmitBatchDecidesOnErrRecordedByIdentity(t *testing.T) {
	rules, err := audit.NewRulesParser("")
	if err != nil {
		t.Fatal(err)
	}
	inputs := []audit.Input{{CaseID: "c1", DraftText: "No pneumothorax.", Image: cxrkit.ImageRef{ImageID: "x", Source: cxrkit.SourceNIH}}}
	tests := []struct {
		name      string
		err       error
		wantError bool
	}{
		{"recorded", infer.ErrRecorded, false},
		{"recorded, wrapped", errors.Join(errors.New("grounding"), infer.ErrRecorded), false},
		{"an upstream error quoting the words", errors.New("proxy: " + infer.ErrRecorded.Error() + " (not really)"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &audit.Auditor{Grounder: wordyGrounder{tt.err}, Drafts: rules}
			path := filepath.Join(t.TempDir(), "batch.jsonl")
			_, err := EmitBatch(context.Background(), a, infer.NewRecorder("m", nil), inputs, 1, path)
			if tt.wantError {
				if err == nil || !strings.Contains(err.Error(), "c1") {
					t.Fatalf("err = %v, want the case reported as not a request", err)
				}
				if _, serr := os.Stat(path); serr == nil {
					t.Error("a batch file was written although a case failed")
				}
				return
			}
			if err != nil {
				t.Fatalf("err = %v", err)
			}
		})
	}
}
