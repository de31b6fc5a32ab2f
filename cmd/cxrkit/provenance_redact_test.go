package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestRedactArgsHidesSecrets(t *testing.T) {
	tests := []struct{ in, want []string }{
		{[]string{"cxrkit", "eval", "--api-key", "sk-SECRET", "--seed", "3"},
			[]string{"cxrkit", "eval", "--api-key", "redacted", "--seed", "3"}},
		{[]string{"cxrkit", "eval", "--api-key=sk-SECRET"},
			[]string{"cxrkit", "eval", "--api-key=redacted"}},
		{[]string{"cxrkit", "audit", "-hf-token", "hf_x"},
			[]string{"cxrkit", "audit", "-hf-token", "redacted"}},
		{[]string{"cxrkit", "audit", "--endpoint", "http://user:pw@gpu:8000/v1"},
			[]string{"cxrkit", "audit", "--endpoint", "http://redacted@gpu:8000/v1"}},
		{[]string{"cxrkit", "audit", "--endpoint=http://user:pw@gpu:8000/v1"},
			[]string{"cxrkit", "audit", "--endpoint=http://redacted@gpu:8000/v1"}},
		{[]string{"cxrkit", "audit", "--endpoint", "http://gpu:8000/v1", "--out", "a@b.jsonl"},
			[]string{"cxrkit", "audit", "--endpoint", "http://gpu:8000/v1", "--out", "a@b.jsonl"}},
		{[]string{"cxrkit", "eval", "--api-key"}, []string{"cxrkit", "eval", "--api-key"}},
	}
	for _, tt := range tests {
		got := redactArgs(slices.Clone(tt.in))
		if !slices.Equal(got, tt.want) {
			t.Errorf("redactArgs(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestEvalReportsHideTheAPIKey: a report records its command line, but
// never the API key or an endpoint password given on it.
func TestEvalReportsHideTheAPIKey(t *testing.T) {
	dir := t.TempDir()
	csv := filepath.Join(dir, "reports.csv")
	if err := os.WriteFile(csv, []byte(ownIUReports), 0o644); err != nil {
		t.Fatal(err)
	}
	base := filepath.Join(dir, "rep")
	code, _, stderr := runCLI(t, "eval", "--iu-reports", csv, "--api-key", "sk-SECRET123",
		"--draft-endpoint", "http://user:pw-SECRET456@127.0.0.1:9/v1",
		"--out", base+".json", "--markdown", base+".md")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, ext := range []string{".json", ".md"} {
		data, err := os.ReadFile(base + ext)
		if err != nil {
			t.Fatal(err)
		}
		for _, secret := range []string{"sk-SECRET123", "pw-SECRET456"} {
			if strings.Contains(string(data), secret) {
				t.Errorf("%s holds %q", ext, secret)
			}
		}
		if !strings.Contains(string(data), "redacted") {
			t.Errorf("%s: no redacted command line", ext)
		}
	}
}
