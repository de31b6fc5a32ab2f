package infer

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cxrkit/cxrkit/infer/fakevllm"
)

// TestEndpointSecretsRedacted: a password in an endpoint URL never shows
// in errors, health reports or the endpoint list.
func TestEndpointSecretsRedacted(t *testing.T) {
	failing := fakevllm.New(fakevllm.Options{Fail: 500})
	defer failing.Close()
	withPW := func(u string) string { return strings.Replace(u, "http://", "http://alice:hunter2@", 1) }
	for _, ep := range []string{withPW(failing.APIURL()), "http://alice:hunter2@127.0.0.1:1/v1"} {
		c, err := NewClient(ClientOptions{Endpoints: []string{ep}, Model: "m", Retries: NoRetries, Timeout: 2 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Chat(context.Background(), textRequest("hi"))
		if err == nil {
			t.Fatalf("%s: no error", ep)
		}
		shown := []string{err.Error(), strings.Join(c.Endpoints(), " ")}
		for name, herr := range c.Health(context.Background()) {
			shown = append(shown, name, fmt.Sprint(herr))
		}
		for _, s := range shown {
			if strings.Contains(s, "hunter2") || strings.Contains(s, "alice") {
				t.Errorf("secret shown: %q", s)
			}
		}
	}
	if _, err := NewClient(ClientOptions{Endpoints: []string{"ftp://alice:hunter2@host/v1"}, Model: "m"}); err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("invalid endpoint error %v", err)
	}
}

// TestResponseCapped: an endpoint answering a never-ending body is cut
// at the cap, the case gets ErrResponseTooLarge, and it is not retried.
func TestResponseCapped(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"choices":[{"message":{"content":"`))
		chunk := []byte(strings.Repeat("a", 64<<10))
		for r.Context().Err() == nil {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	c, err := NewClient(ClientOptions{Endpoints: []string{srv.URL + "/v1"}, Model: "m", Retries: 3, MaxResponseBytes: 1 << 20,
		Backoff: time.Millisecond, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = c.Chat(context.Background(), textRequest("hi"))
	if !errors.Is(err, ErrResponseTooLarge) {
		t.Fatalf("err = %v, want ErrResponseTooLarge", err)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("%d calls: an over-long answer was retried", n)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
	if ClientDefaults().MaxResponseBytes != 8<<20 {
		t.Errorf("default cap %d", ClientDefaults().MaxResponseBytes)
	}
}
