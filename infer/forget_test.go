package infer

import (
	"context"
	"image"
	"sync/atomic"
	"testing"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/configs"
	"github.com/cxrkit/cxrkit/infer/fakevllm"
)

// TestUnparsedAnswerIsNotCachedForTheNextRun: an answer the grounder
// could not parse is dropped from the response cache, so the next run,
// which retries the errored case, reaches the model (fixed meanwhile)
// instead of failing on the stored answer forever.
func TestUnparsedAnswerIsNotCachedForTheNextRun(t *testing.T) {
	path := writeRadiograph(t, 64, 64, image.Rect(8, 8, 24, 24))
	var fixed atomic.Bool
	s := fakevllm.New(fakevllm.Options{Responder: func(fakevllm.Request) string {
		if fixed.Load() {
			return `[{"label": "cardiomegaly", "box": [0.3, 0.5, 0.7, 0.8]}]`
		}
		return "I am a chat template that lost the image."
	}})
	defer s.Close()
	prompt, err := configs.LoadPrompt(configs.PromptGrounding, "")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ground := func() cxrkit.Grounding {
		t.Helper()
		cache, err := OpenCache(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer cache.Close()
		chat := NewMemo(newTestClient(t, ClientOptions{Cache: cache}, s), 16)
		g, err := NewGrounder(GrounderOptions{Chat: chat, Prompt: prompt, Vocab: vocab(t)})
		if err != nil {
			t.Fatal(err)
		}
		got, err := g.Ground(context.Background(), cxrkit.ImageRef{Source: "test", ImageID: "cxr", Path: path})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := ground(); got.Status != cxrkit.ParseFailed || s.Calls() != 3 {
		t.Fatalf("first run: %s after %d calls, want failed after 3", got.Status, s.Calls())
	}
	fixed.Store(true)
	if got := ground(); got.Status != cxrkit.ParseOK || s.Calls() != 4 {
		t.Fatalf("rerun: %s after %d calls, want ok from a fourth call (the failed answers were cached)", got.Status, s.Calls())
	}
	// A parsed answer stays cached: a third run asks nothing.
	if got := ground(); got.Status != cxrkit.ParseOK || s.Calls() != 4 {
		t.Fatalf("third run: %s after %d calls, want ok from the cache", got.Status, s.Calls())
	}
}
