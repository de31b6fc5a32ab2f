package infer

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/cxrkit/cxrkit/infer/fakevllm"
)

func TestPreflight(t *testing.T) {
	s := fakevllm.New(fakevllm.Options{})
	defer s.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String() + "/v1"
	ln.Close()
	tests := []struct {
		endpoints []string
		model     string
		want      string
	}{
		{[]string{s.APIURL()}, "fake/medgemma-cxr", ""},
		{[]string{s.APIURL()}, "medgemma-typo", `does not serve model "medgemma-typo" (it serves: fake/medgemma-cxr`},
		{[]string{s.APIURL(), dead}, "fake/medgemma-cxr", "connection refused to " + dead},
	}
	for _, tt := range tests {
		c, err := NewClient(ClientOptions{Endpoints: tt.endpoints, Model: tt.model})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		err = c.Preflight(context.Background())
		if tt.want == "" {
			if err != nil {
				t.Errorf("%v: %v", tt.endpoints, err)
			}
			continue
		}
		if !errors.Is(err, ErrPreflight) || !strings.Contains(err.Error(), tt.want) || time.Since(start) > 3*time.Second {
			t.Errorf("%v %s: err %v after %v, want %q", tt.endpoints, tt.model, err, time.Since(start), tt.want)
		}
	}
}
