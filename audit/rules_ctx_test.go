package audit_test

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/cxrkit/cxrkit/audit"
)

// hugeDrafts are two 16 MB drafts: many sentences, and one sentence with
// no end (only the scanner's and matcher's own checks can stop that one).
func hugeDrafts() map[string]string {
	const size = 16 << 20
	many := "No pleural effusion or pneumothorax. Small nodular opacity in the left upper lobe. "
	one := "pleural effusion, pneumothorax, nodule, consolidation or mass; possible effusion versus atelectasis, "
	return map[string]string{
		"many sentences": strings.Repeat(many, size/len(many)),
		"one sentence":   "No " + strings.Repeat(one, size/len(one)),
	}
}

// TestParseContextStops: a parse whose context ends part way returns the
// context's error within a few milliseconds of work, not after reading
// the whole draft; an uncancelled parse agrees with Parse.
func TestParseContextStops(t *testing.T) {
	p, err := audit.NewRulesParser("")
	if err != nil {
		t.Fatal(err)
	}
	for name, text := range hugeDrafts() {
		t.Run(name, func(t *testing.T) {
			start, startCPU := time.Now(), cpuTime()
			full, err := p.ParseContext(context.Background(), text[:1<<20])
			if err != nil || len(full) == 0 {
				t.Fatalf("uncancelled: %v, %v", full, err)
			}
			perMB, perMBCPU := time.Since(start), cpuTime()-startCPU
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			if _, err := p.ParseContext(ctx, text); !errors.Is(err, context.Canceled) {
				t.Fatalf("cancelled before: err %v", err)
			}
			ctx, cancel = context.WithTimeout(context.Background(), perMB)
			defer cancel()
			startCPU = cpuTime()
			fs, err := p.ParseContext(ctx, text)
			took := cpuTime() - startCPU
			if !errors.Is(err, context.DeadlineExceeded) || fs != nil {
				t.Fatalf("after the deadline: %v, %v", fs, err)
			}
			// The whole draft takes ~16 times perMB; stopping must take a
			// small part of that (lowercasing the draft is done first).
			// Both are CPU time: on a loaded machine wall time is mostly
			// waiting for a core and says nothing about the parser.
			if took > 6*perMBCPU+100*time.Millisecond {
				t.Errorf("stopped after %v of CPU; 1 MB takes %v", took, perMBCPU)
			}
		})
	}
}

// TestReadDraftStopsAfterTheDeadline: after ReadDraft answers the
// deadline, the parse behind it stops too instead of finishing a huge
// draft in the background.
func TestReadDraftStopsAfterTheDeadline(t *testing.T) {
	p, err := audit.NewRulesParser("")
	if err != nil {
		t.Fatal(err)
	}
	text := hugeDrafts()["many sentences"] + hugeDrafts()["many sentences"]
	// The whole 32 MB takes about 32 times perMB on this machine: the
	// parse must stop in a small part of that.
	start := time.Now()
	p.Parse(text[:1<<20])
	perMB := time.Since(start)
	runtime.GC()
	base := runtime.NumGoroutine()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	start = time.Now()
	if _, err := p.ReadDraft(ctx, text); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v, want the deadline", err)
	}
	answered := time.Since(start)
	defer func() {
		t.Logf("answered after %v, parse stopped after %v (1 MB parses in %v)", answered, time.Since(start), perMB)
	}()
	for runtime.NumGoroutine() > base {
		if time.Since(start) > answered+max(8*perMB, 200*time.Millisecond) {
			t.Fatalf("the parse still runs %v after the deadline answer (goroutines %d, were %d)", time.Since(start)-answered, runtime.NumGoroutine(), base)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
