package audit_test

import (
	"context"
	"errors"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cxrkit/cxrkit/audit"
)

// hugeDrafts are two 2 MiB drafts: many sentences, and one sentence with
// no end (only the scanner's and matcher's own checks can stop that one).
func hugeDrafts() map[string]string {
	const size = 2 << 20
	many := "No pleural effusion or pneumothorax. Small nodular opacity in the left upper lobe. "
	one := "pleural effusion, pneumothorax, nodule, consolidation or mass; possible effusion versus atelectasis, "
	return map[string]string{
		"many sentences": strings.Repeat(many, size/len(many)),
		"one sentence":   "No " + strings.Repeat(one, size/len(one)),
	}
}

// pollCtx is a context that counts how often it is asked whether it is
// done (Err) and, when cancelAt > 0, is cancelled by the cancelAt-th
// question: that call and every later one answer context.Canceled, and
// Done is closed then. No clock is involved: "how promptly" is counted
// in questions, not measured in time.
type pollCtx struct {
	context.Context // Background: no deadline, no values
	cancelAt        int64
	polls           atomic.Int64
	done            chan struct{}
	once            sync.Once
}

func newPollCtx(cancelAt int64) *pollCtx {
	return &pollCtx{Context: context.Background(), cancelAt: cancelAt, done: make(chan struct{})}
}

func (c *pollCtx) Done() <-chan struct{} { return c.done }

func (c *pollCtx) Err() error {
	if n := c.polls.Add(1); c.cancelAt > 0 && n >= c.cancelAt {
		c.once.Do(func() { close(c.done) })
		return context.Canceled
	}
	return nil
}

// TestParseContextStops: an uncancelled parse agrees with Parse and asks
// its context at least once every 16 KiB of draft (the scanner asks every
// 4 KiB), also inside one sentence with no end; a parse whose context is cancelled part way
// returns the context's error having asked it at most twice more (it
// does not go on to the next sentence or the next chunk of a sentence).
func TestParseContextStops(t *testing.T) {
	p, err := audit.NewRulesParser("")
	if err != nil {
		t.Fatal(err)
	}
	for name, text := range hugeDrafts() {
		t.Run(name, func(t *testing.T) {
			ctx := newPollCtx(0)
			full, err := p.ParseContext(ctx, text)
			if err != nil || len(full) == 0 {
				t.Fatalf("uncancelled: %v, %v", full, err)
			}
			if want := p.Parse(text); !reflect.DeepEqual(full, want) {
				t.Errorf("uncancelled: %v, Parse says %v", full, want)
			}
			polls := ctx.polls.Load()
			if least := int64(len(text) / (16 << 10)); polls < least {
				t.Fatalf("a %d MiB draft asked its context %d times, want at least %d (once per 16 KiB)", len(text)>>20, polls, least)
			}
			for _, k := range []int64{1, 2, 3, polls / 2, polls - 1} {
				ctx := newPollCtx(k)
				fs, err := p.ParseContext(ctx, text)
				if !errors.Is(err, context.Canceled) || fs != nil {
					t.Fatalf("cancelled at question %d of %d: %v, %v", k, polls, fs, err)
				}
				if after := ctx.polls.Load() - k; after > 2 {
					t.Errorf("cancelled at question %d of %d: asked %d more times before returning", k, polls, after)
				}
			}
		})
	}
}

// TestReadDraftStopsAfterTheDeadline: after ReadDraft answers that its
// context is done, the parse behind it stops too instead of finishing a
// huge draft in the background: once its goroutine has ended, the context
// was asked at most a few times after it was cancelled.
func TestReadDraftStopsAfterTheDeadline(t *testing.T) {
	p, err := audit.NewRulesParser("")
	if err != nil {
		t.Fatal(err)
	}
	text := hugeDrafts()["many sentences"] + hugeDrafts()["many sentences"]
	runtime.GC()
	base := runtime.NumGoroutine()
	// ReadDraft asks once; the parse asks twice per sentence: cancel
	// about a thousand sentences in (a 4 MiB draft has ~50k).
	const cancelAt = 2000
	ctx := newPollCtx(cancelAt)
	if _, err := p.ReadDraft(ctx, text); !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want the cancellation", err)
	}
	for runtime.NumGoroutine() > base {
		time.Sleep(time.Millisecond) // waiting only; nothing is timed
	}
	// The parse's question that saw the cancellation, one more before
	// it returns, and ReadDraft's own to build its error.
	if after := ctx.polls.Load() - cancelAt; after > 3 {
		t.Errorf("the context was asked %d more times after it was cancelled: the parse went on", after)
	}
}
