package pipeline

import (
	"context"
	"errors"
	"testing"

	"github.com/cxrkit/cxrkit/infer"
)

type noChat struct{}

func (noChat) Chat(context.Context, infer.Request) (infer.Response, error) {
	return infer.Response{}, errors.New("no model in this test")
}
func (noChat) Model() string { return "none" }

// TestAuditorOwnsArchiveCache: a model-grounding auditor keeps one
// archive cache for its run (ARCHIVE.zip!MEMBER images then cost one
// member open each, see infer's TestImageCacheKeyUsesArchiveCache), and
// Close closes it.
func TestAuditorOwnsArchiveCache(t *testing.T) {
	cfg := AuditorDefaults()
	cfg.Model, cfg.Chat = "none", noChat{}
	a, err := NewAuditor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if a.archives == nil {
		t.Fatal("model grounding without an archive cache: each image opens its archive twice")
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if err := (&Assembled{}).Close(); err != nil { // gold grounding: no cache
		t.Fatal(err)
	}
}
