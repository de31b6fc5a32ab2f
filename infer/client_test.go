package infer

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cxrkit/cxrkit/infer/fakevllm"
)

func textRequest(s string) Request {
	seed := 7
	return Request{Messages: []Message{UserText(s)}, MaxTokens: 64, Seed: &seed}
}

func newTestClient(t *testing.T, o ClientOptions, servers ...*fakevllm.Server) *Client {
	t.Helper()
	for _, s := range servers {
		o.Endpoints = append(o.Endpoints, s.APIURL())
	}
	if o.Model == "" {
		o.Model = "fake/medgemma-cxr"
	}
	o.Backoff, o.MaxBackoff = time.Millisecond, 5*time.Millisecond
	if o.Timeout == 0 {
		o.Timeout = 5 * time.Second
	}
	c, err := NewClient(o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func echo(r fakevllm.Request) string { return "echo: " + r.Text() }

func TestClientSendsExplicitZeroTemperature(t *testing.T) {
	s := fakevllm.New(fakevllm.Options{Responder: echo})
	defer s.Close()
	c := newTestClient(t, ClientOptions{Retries: 0, ExtraBody: map[string]any{"top_k": 1}}, s)
	resp, err := c.Chat(context.Background(), textRequest("hello"))
	if err != nil || resp.Text != "echo: hello" || resp.FinishReason != "stop" {
		t.Fatalf("resp %+v err %v", resp, err)
	}
	req := s.Requests()[0]
	if req.Temperature == nil || *req.Temperature != 0 {
		t.Fatalf("temperature not sent as 0: %v (raw %v)", req.Temperature, req.Raw()["temperature"])
	}
	if req.Seed == nil || *req.Seed != 7 || req.MaxTokens != 64 || req.Raw()["top_k"] != 1.0 {
		t.Fatalf("body %+v", req.Raw())
	}
	// A sampling attempt keeps its own temperature.
	r := textRequest("again")
	r.Temperature, r.TopP = 0.4, 0.9
	c.Chat(context.Background(), r)
	if got := s.Requests()[1]; *got.Temperature != 0.4 || *got.TopP != 0.9 {
		t.Fatalf("sampling body %+v", got.Raw())
	}
}

func TestClientRetriesTransportFailures(t *testing.T) {
	for _, faults := range []fakevllm.Faults{
		{Rate5xx: 0.5}, {Rate429: 0.5}, {RateDrop: 0.4}, {Rate5xx: 0.3, FlatErrorBody: true},
	} {
		s := fakevllm.New(fakevllm.Options{Responder: echo, Faults: faults, Seed: 3})
		c := newTestClient(t, ClientOptions{Retries: 8}, s)
		for i := range 30 {
			resp, err := c.Chat(context.Background(), textRequest(strings.Repeat("x", i)))
			if err != nil || !strings.HasPrefix(resp.Text, "echo:") {
				t.Fatalf("faults %+v: request %d: %v", faults, i, err)
			}
		}
		if s.Calls() <= 30 {
			t.Errorf("faults %+v: %d calls, want retries beyond 30", faults, s.Calls())
		}
		s.Close()
	}
}

func TestClientErrorShapesAndNoRetryOn4xx(t *testing.T) {
	for _, flat := range []bool{false, true} {
		s := fakevllm.New(fakevllm.Options{Responder: echo, Faults: fakevllm.Faults{FlatErrorBody: flat}})
		c := newTestClient(t, ClientOptions{Retries: 3, Model: "wrong-model"}, s)
		_, err := c.Chat(context.Background(), textRequest("x"))
		var se *StatusError
		if !errors.As(err, &se) || se.Status != 404 || !strings.Contains(se.Message, "does not exist") {
			t.Fatalf("flat=%v: err %v, want 404 with vLLM's message", flat, err)
		}
		if s.Calls() != 1 {
			t.Fatalf("flat=%v: 4xx retried: %d calls", flat, s.Calls())
		}
		s.Close()
	}
	s := fakevllm.New(fakevllm.Options{Fail: 503})
	defer s.Close()
	c := newTestClient(t, ClientOptions{Retries: 2}, s)
	if _, err := c.Chat(context.Background(), textRequest("x")); err == nil || s.Calls() != 3 {
		t.Fatalf("persistent 503: err %v after %d calls, want error after 3", err, s.Calls())
	}
}

func TestClientHonoursRetryAfter(t *testing.T) {
	s := fakevllm.New(fakevllm.Options{Fail: 429})
	defer s.Close()
	c := newTestClient(t, ClientOptions{Retries: 1}, s)
	c.opts.Backoff = time.Hour // only Retry-After: 0 can make this fast
	start := time.Now()
	c.Chat(context.Background(), textRequest("x"))
	if d := time.Since(start); d > 2*time.Second || s.Calls() != 2 {
		t.Fatalf("took %v with %d calls; Retry-After: 0 should retry at once", d, s.Calls())
	}
}

func TestClientSpreadsLoadOverEndpoints(t *testing.T) {
	a := fakevllm.New(fakevllm.Options{Responder: echo, Latency: 20 * time.Millisecond})
	b := fakevllm.New(fakevllm.Options{Responder: echo, Latency: 20 * time.Millisecond})
	defer a.Close()
	defer b.Close()
	c := newTestClient(t, ClientOptions{}, a, b)
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.Chat(context.Background(), textRequest(strings.Repeat("y", i)))
		}()
	}
	wg.Wait()
	if a.Calls() < 10 || b.Calls() < 10 || a.Calls()+b.Calls() != 40 {
		t.Fatalf("calls a=%d b=%d", a.Calls(), b.Calls())
	}
}

func TestClientTimeoutIsRetried(t *testing.T) {
	s := fakevllm.New(fakevllm.Options{Responder: echo, Latency: 300 * time.Millisecond})
	defer s.Close()
	c := newTestClient(t, ClientOptions{Retries: 1, Timeout: 50 * time.Millisecond}, s)
	_, err := c.Chat(context.Background(), textRequest("x"))
	if err == nil || s.Calls() != 2 {
		t.Fatalf("err %v, calls %d: a timed-out attempt should be retried once, then fail", err, s.Calls())
	}
}

func TestClientCache(t *testing.T) {
	s := fakevllm.New(fakevllm.Options{Responder: echo})
	defer s.Close()
	cache, err := OpenCache(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer cache.Close()
	c := newTestClient(t, ClientOptions{Cache: cache}, s)
	r1, _ := c.Chat(context.Background(), textRequest("same"))
	r2, _ := c.Chat(context.Background(), textRequest("same"))
	r3, _ := c.Chat(context.Background(), textRequest("other"))
	if s.Calls() != 2 || !r2.Cached || r1.Cached || r2.Text != r1.Text || r3.Text == r1.Text {
		t.Fatalf("calls %d, r1 %+v r2 %+v", s.Calls(), r1, r2)
	}
	if _, err := OpenCache(filepath.Dir(filepath.Join(t.TempDir(), "x"))); err != nil {
		t.Fatal(err)
	}
}

func TestClientValidationAndHealth(t *testing.T) {
	if _, err := NewClient(ClientOptions{Model: "m"}); err == nil {
		t.Error("no endpoint accepted")
	}
	if _, err := NewClient(ClientOptions{Model: "m", Endpoints: []string{"gpu:8000"}}); err == nil {
		t.Error("endpoint without scheme accepted")
	}
	s := fakevllm.New(fakevllm.Options{})
	c := newTestClient(t, ClientOptions{}, s)
	if h := c.Health(context.Background()); h[s.APIURL()] != nil {
		t.Fatalf("health %v", h)
	}
	s.Close()
	if h := c.Health(context.Background()); h[s.APIURL()] == nil {
		t.Fatal("closed server reported healthy")
	}
}

func TestMemoAsksOnce(t *testing.T) {
	s := fakevllm.New(fakevllm.Options{Responder: echo, Latency: 50 * time.Millisecond})
	defer s.Close()
	m := NewMemo(newTestClient(t, ClientOptions{}, s), 2)
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r, err := m.Chat(context.Background(), textRequest("same")); err != nil || r.Text != "echo: same" {
				t.Error(r, err)
			}
		}()
	}
	wg.Wait()
	m.Chat(context.Background(), textRequest("a"))
	m.Chat(context.Background(), textRequest("b"))
	m.Chat(context.Background(), textRequest("same")) // evicted: asked again
	if s.Calls() != 4 {
		t.Fatalf("%d calls, want 4 (10 concurrent identical requests asked once)", s.Calls())
	}
}

func TestClientDoesNotRetryAPageThatIsNotJSON(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		body      string
		wantCalls int
		notJSON   bool
	}{
		{"HTML page from a proxy", http.StatusOK, "<!DOCTYPE html><html><body>Sign in</body></html>", 1, true},
		{"plain text", http.StatusOK, "invalid character? EOF? neither", 1, true},
		{"JSON cut short", http.StatusOK, `{"choices":[{"message":{"content":"[`, 3, false},
		{"HTML 502 from a proxy", http.StatusBadGateway, "<html>bad gateway</html>", 3, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				calls.Add(1)
				w.Header().Set("Content-Type", "text/html")
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			}))
			defer srv.Close()
			c, err := NewClient(ClientOptions{Endpoints: []string{srv.URL + "/v1"}, Model: "m", Retries: 2,
				Backoff: time.Millisecond, MaxBackoff: time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Chat(context.Background(), textRequest("x"))
			if err == nil {
				t.Fatal("no error")
			}
			if got := int(calls.Load()); got != tt.wantCalls {
				t.Errorf("%d calls, want %d (err %v)", got, tt.wantCalls, err)
			}
			if errors.Is(err, ErrNotJSON) != tt.notJSON {
				t.Errorf("errors.Is(%v, ErrNotJSON) = %v, want %v", err, !tt.notJSON, tt.notJSON)
			}
		})
	}
}

func TestNewClientAppliesDefaultRetries(t *testing.T) {
	for _, tt := range []struct{ in, want int }{{0, ClientDefaults().Retries}, {NoRetries, 0}, {-5, 0}, {2, 2}} {
		c, err := NewClient(ClientOptions{Endpoints: []string{"http://127.0.0.1:1/v1"}, Model: "m", Retries: tt.in})
		if err != nil {
			t.Fatal(err)
		}
		if c.opts.Retries != tt.want {
			t.Errorf("Retries %d: client retries %d, want %d", tt.in, c.opts.Retries, tt.want)
		}
	}
}
