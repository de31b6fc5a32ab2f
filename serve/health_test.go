package serve

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/cxrkit/cxrkit/audit"
)

// TestHealthzProbesEndpointsOnce: /healthz needs no token, so a burst of
// requests must not turn into a burst of probes of the model endpoints.
func TestHealthzProbesEndpointsOnce(t *testing.T) {
	var probes atomic.Int64
	h, err := New(Options{Auditor: &audit.Auditor{Grounder: fixedGold{}}, Health: func(context.Context) map[string]error {
		probes.Add(1)
		return map[string]error{"grounding": nil}
	}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	for range 20 {
		resp, err := http.Get(srv.URL + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d", resp.StatusCode)
		}
	}
	if n := probes.Load(); n != 1 {
		t.Fatalf("20 /healthz requests probed the endpoints %d times, want 1", n)
	}
}
