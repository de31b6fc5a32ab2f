package synth

import (
	"context"
	"path/filepath"
	"testing"
)

// TestGenerateFileProgress: the callback hears the corpus read to its end.
func TestGenerateFileProgress(t *testing.T) {
	corpus := filepath.Join("..", "testdata", "review", "corpus.jsonl")
	last, total, calls := 0, 0, 0
	g, err := NewGenerator(Options{Seed: 1, Progress: func(stage string, done, n int) {
		calls++
		last, total = done, n
	}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.GenerateFile(context.Background(), corpus, filepath.Join(t.TempDir(), "cases.jsonl")); err != nil {
		t.Fatal(err)
	}
	if calls == 0 || last != total {
		t.Errorf("%d calls, last %d of %d", calls, last, total)
	}
}
