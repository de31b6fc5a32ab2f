package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRunCommand(t *testing.T) {
	data, err := os.ReadFile("../../configs/quickstart.yaml")
	if err != nil {
		t.Fatal(err)
	}
	root, _ := filepath.Abs("../..")
	out := t.TempDir()
	cfg := strings.ReplaceAll(string(data), "../testdata/", root+"/testdata/")
	cfg = strings.Replace(cfg, "out: ../out/quickstart", "out: "+out, 1)
	path := filepath.Join(t.TempDir(), "q.yaml")
	os.WriteFile(path, []byte(cfg), 0o644)
	code, _, stderr := runCLI(t, "run", path)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"Outputs:", filepath.Join(out, "eval", "audit_report.html"), "Headline numbers:", "audit exact match", "not a medical device"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if code, _, stderr := runCLI(t, "run", path); code != exitOK || strings.Count(stderr, "up to date") < 5 {
		t.Errorf("rerun: %s", stderr)
	}
	if code, _, _ := runCLI(t, "run"); code != exitUsage {
		t.Errorf("no config: exit %d", code)
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("out: x\nstagez: []\n"), 0o644)
	if code, _, stderr := runCLI(t, "run", bad); code != exitUsage || !strings.Contains(stderr, "line 2") {
		t.Errorf("bad config: exit %d %s", code, stderr)
	}
}
