package audit

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/labelmap"
)

// countingReader reads "fail" as a failure and anything else as one
// present effusion, counting calls.
type countingReader struct{ calls atomic.Int64 }

func (c *countingReader) ReadDraft(_ context.Context, text string) (cxrkit.DraftReading, error) {
	c.calls.Add(1)
	switch text {
	case "fail":
		return cxrkit.DraftReading{Status: cxrkit.ParseFailed}, nil
	case "error":
		return cxrkit.DraftReading{Status: cxrkit.ParseFailed}, errors.New("deadline")
	}
	return cxrkit.DraftReading{Status: cxrkit.ParseRules, Findings: []cxrkit.DraftFinding{
		{Label: labelmap.PleuralEffusion, Status: cxrkit.Present, Span: text}}}, nil
}

func TestDraftMemo(t *testing.T) {
	ctx := context.Background()
	inner := &countingReader{}
	m := NewDraftMemo(inner, 2)
	first, _ := m.ReadDraft(ctx, "a")
	first.Findings[0].Span = "changed by the caller"
	again, err := m.ReadDraft(ctx, "a")
	if err != nil || again.Findings[0].Span != "a" || again.Status != cxrkit.ParseRules {
		t.Fatalf("remembered reading %+v, %v (a caller's change must not leak into the memo)", again, err)
	}
	if inner.calls.Load() != 1 {
		t.Fatalf("%d reads of one text, want 1", inner.calls.Load())
	}
	for _, text := range []string{"fail", "fail", "error", "error"} {
		m.ReadDraft(ctx, text)
	}
	if inner.calls.Load() != 5 {
		t.Fatalf("%d reads, want failures read again every time (5)", inner.calls.Load())
	}
	long := strings.Repeat("x", maxMemoText+1)
	m.ReadDraft(ctx, long)
	m.ReadDraft(ctx, long)
	if inner.calls.Load() != 7 {
		t.Fatalf("%d reads, want a long text not remembered (7)", inner.calls.Load())
	}
	m.ReadDraft(ctx, "b") // fills the memo (size 2)
	m.ReadDraft(ctx, "c") // not kept
	m.ReadDraft(ctx, "c")
	m.ReadDraft(ctx, "b")
	if inner.calls.Load() != 10 {
		t.Fatalf("%d reads, want 10 (b kept, c over the size bound)", inner.calls.Load())
	}
}
