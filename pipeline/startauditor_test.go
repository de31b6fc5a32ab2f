package pipeline

import (
	"context"
	"errors"
	"testing"

	"github.com/cxrkit/cxrkit/infer"
)

// audit, serve and run start an auditor one way: a dead endpoint fails
// the preflight unless NoPreflight.
func TestStartAuditorPreflight(t *testing.T) {
	cfg := AuditorDefaults()
	cfg.Endpoints, cfg.Model, cfg.Retries = []string{"http://127.0.0.1:1/v1"}, "m", 0
	if _, err := StartAuditor(context.Background(), cfg); !errors.Is(err, infer.ErrPreflight) {
		t.Errorf("dead endpoint: err %v, want infer.ErrPreflight", err)
	}
	cfg.NoPreflight = true
	if a, err := StartAuditor(context.Background(), cfg); err != nil || a.Client == nil {
		t.Errorf("no preflight: %v, %v", a, err)
	}
}
