package infer

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestBatchOutputLineOutcome(t *testing.T) {
	ok := `{"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"[1]"},"finish_reason":"stop"}]}`
	tests := []struct {
		name, line string
		text, err  string
	}{
		{"answered", `{"custom_id":"a","response":{"status_code":200,"body":` + ok + `},"error":null}`, "[1]", ""},
		{"status 0 with an answer", `{"custom_id":"a","response":{"status_code":0,"body":` + ok + `},"error":null}`, "[1]", ""},
		{"empty error object", `{"custom_id":"a","response":{"status_code":200,"body":` + ok + `},"error":{"code":null,"message":""}}`, "[1]", ""},
		{"vLLM flat error body", `{"custom_id":"a","response":{"status_code":400,"body":{"object":"error","message":"bad image"}},"error":null}`, "", "HTTP 400: bad image"},
		{"nested error body under 200", `{"custom_id":"a","response":{"status_code":200,"body":{"error":{"message":"too long"}}},"error":null}`, "", "HTTP 200: too long"},
		{"line error", `{"custom_id":"a","response":null,"error":{"code":"x","message":"engine died"}}`, "", "engine died"},
		{"line error with code only", `{"custom_id":"a","error":{"code":500}}`, "", "error code 500"},
		{"status 500 without body", `{"custom_id":"a","response":{"status_code":500,"body":null}}`, "", "HTTP 500"},
		{"status 0 without answer", `{"custom_id":"a","response":{"status_code":0,"body":{}}}`, "", "no choices"},
		{"neither", `{"custom_id":"a"}`, "", "neither response nor error"},
		{"body not JSON object", `{"custom_id":"a","response":{"status_code":200,"body":"oops"}}`, "", "not JSON"},
	}
	for _, tt := range tests {
		var l BatchOutputLine
		if err := json.Unmarshal([]byte(tt.line), &l); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		resp, err := l.outcome()
		switch {
		case tt.err == "" && (err != nil || resp.Text != tt.text):
			t.Errorf("%s: %q %v, want %q", tt.name, resp.Text, err, tt.text)
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err) || !errors.Is(err, ErrBatchFailed)):
			t.Errorf("%s: err %v, want ErrBatchFailed saying %q", tt.name, err, tt.err)
		}
	}
}
