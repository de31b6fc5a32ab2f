package audit

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/labelmap"
)

// pinCountingGrounder counts prepares and groundings per image: a
// grounder pins each prepared image until its grounding, so the two must
// match or the pins leak.
type pinCountingGrounder struct {
	mu     sync.Mutex
	keep   int
	counts map[string]int // prepares minus groundings
}

func (p *pinCountingGrounder) KeepPrepared(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.keep = max(p.keep, n)
}

func (p *pinCountingGrounder) Prepare(_ context.Context, img cxrkit.ImageRef) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.counts[img.ImageID]++
	return nil
}

func (p *pinCountingGrounder) Ground(_ context.Context, img cxrkit.ImageRef) (cxrkit.Grounding, error) {
	p.mu.Lock()
	p.counts[img.ImageID]--
	p.mu.Unlock()
	time.Sleep(100 * time.Microsecond) // the network: lets the look-ahead run ahead
	return cxrkit.Grounding{Status: cxrkit.ParseOK, Findings: []cxrkit.Finding{{Label: labelmap.NoFinding}}, Attempts: 1}, nil
}

// TestLookAheadGroundsEveryPreparedImage: the feed tells the grounder its
// window, and every image it prepares is grounded exactly as often as it
// was prepared (two cases of one image: twice), so no pin is left behind.
func TestLookAheadGroundsEveryPreparedImage(t *testing.T) {
	for _, workers := range []int{1, 3, 16} {
		t.Run(fmt.Sprint(workers), func(t *testing.T) {
			p := &pinCountingGrounder{counts: map[string]int{}}
			rules, err := NewRulesParser("")
			if err != nil {
				t.Fatal(err)
			}
			a := &Auditor{Grounder: p, Drafts: rules}
			ins := make([]Input, 200)
			for i := range ins {
				// Two cases per image, one after the other, as synth writes them.
				img := cxrkit.ImageRef{Source: "test", ImageID: fmt.Sprint(i / 2)}
				ins[i] = Input{CaseID: fmt.Sprint(i), DraftText: "No acute findings.", Image: img}
			}
			out := filepath.Join(t.TempDir(), "results.jsonl")
			if _, err := a.RunBatch(t.Context(), ins, BatchOptions{Out: out, Concurrency: workers}); err != nil {
				t.Fatal(err)
			}
			if p.keep < workers {
				t.Errorf("KeepPrepared(%d) with %d workers: the window is smaller than the requests in flight", p.keep, workers)
			}
			for id, n := range p.counts {
				if n != 0 {
					t.Errorf("image %s: prepares minus groundings = %d", id, n)
				}
			}
		})
	}
}
