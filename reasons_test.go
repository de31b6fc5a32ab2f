package cxrkit

import (
	"context"
	"fmt"
	"io/fs"
	"strings"
	"testing"
)

type testReason struct{ url string }

func (e testReason) Error() string  { return "dial " + e.url + ": refused, case 17" }
func (e testReason) Reason() string { return "connection refused to " + e.url }

func TestErrorReason(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{fmt.Errorf("case c1: %w", testReason{"http://x/v1"}), "connection refused to http://x/v1"},
		{fmt.Errorf("open /a/b.png: %w", fs.ErrNotExist), "file not found"},
		{fmt.Errorf("wait: %w", context.DeadlineExceeded), "timed out"},
		{fmt.Errorf("line one\nline   two"), "line one line two"},
		{fmt.Errorf("%s", strings.Repeat("x", 1000)), strings.Repeat("x", maxReasonLen) + "…"},
	}
	for _, tt := range tests {
		if got := ErrorReason(tt.err); got != tt.want {
			t.Errorf("ErrorReason(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

func TestReasonsString(t *testing.T) {
	r := Reasons{}
	for range 6093 {
		r.Add("connection refused to http://127.0.0.1:38799/v1")
	}
	if got := r.String(); got != "connection refused to http://127.0.0.1:38799/v1 (6093)" {
		t.Fatalf("got %q", got)
	}
	for i := range 10 {
		r.Add(fmt.Sprintf("reason %d", i))
	}
	r.Add("reason 3")
	got := r.String()
	if !strings.HasPrefix(got, "connection refused to http://127.0.0.1:38799/v1 (6093); reason 3 (2); reason 0 (1)") ||
		!strings.HasSuffix(got, "; 6 more reasons (6)") || r.Total() != 6104 {
		t.Fatalf("got %q total %d", got, r.Total())
	}
}
