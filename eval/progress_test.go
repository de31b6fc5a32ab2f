package eval

import (
	"sync"
	"testing"
)

// TestBootstrapProgress: the callback hears the resamples, ending at the
// total, and the report does not depend on it.
func TestBootstrapProgress(t *testing.T) {
	gold, preds := randomData(200, 4, 0.3)
	d, err := NewDataset(gold, preds, ImageOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	calls, last, total := 0, 0, 0
	o := ImageOptions{Bootstrap: 300, Seed: 2, Progress: func(stage string, done, n int) {
		mu.Lock()
		defer mu.Unlock()
		if stage != "bootstrap" {
			t.Errorf("stage %q", stage)
		}
		calls++
		last, total = max(last, done), n
	}}
	with := Evaluate(d, o)
	without := Evaluate(d, ImageOptions{Bootstrap: 300, Seed: 2})
	if calls < 2 || calls > 301 || last != 300 || total != 300 {
		t.Errorf("%d calls, last %d of %d", calls, last, total)
	}
	if *with.Presence.MacroF1CI != *without.Presence.MacroF1CI {
		t.Error("progress changed the intervals")
	}
}
