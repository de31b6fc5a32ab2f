package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPrepareCommand(t *testing.T) {
	out := t.TempDir()
	td := "../../dataset/testdata/"
	code, _, stderr := runCLI(t, "prepare", "--vindr", td+"vindr_train.csv", "--vindr-meta", td+"vindr_meta.csv",
		"--vqa", td+"vqa.json", "--chestxdet", td+"chestxdet.json", "--nih-bbox", td+"nih_bbox.csv",
		"--nih-entries", td+"nih_entries.csv", "--normal-ratio", "all", "--seed", "3", "--out", out)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"cxrkit prepare:", "rows", "[ok]", "corpus", "not a medical device"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("summary lacks %q:\n%s", want, stderr)
		}
	}
	var rep struct {
		Flags map[string]any `json:"flags"`
	}
	data, _ := os.ReadFile(filepath.Join(out, "report.json"))
	json.Unmarshal(data, &rep)
	if rep.Flags["seed"] != 3.0 || rep.Flags["normal-ratio"] != "all" {
		t.Errorf("flags in report = %v", rep.Flags)
	}
	if v, ok := rep.Flags["vindr"].([]any); !ok || len(v) != 1 {
		t.Errorf("vindr flag recorded as %v", rep.Flags["vindr"])
	}
	code, _, stderr = runCLI(t, "prepare", "--vindr", td+"vindr_train.csv", "--vindr-meta", td+"vindr_meta.csv", "--strict", "--out", t.TempDir())
	if code != exitFailure || !strings.Contains(stderr, "--strict") {
		t.Errorf("strict: exit %d, %s", code, stderr)
	}
	if code, _, _ := runCLI(t, "prepare", "--nih-bbox", td+"nih_bbox.csv", "--normal-ratio", "lots", "--out", t.TempDir()); code != exitUsage {
		t.Errorf("bad --normal-ratio: exit %d", code)
	}
	if code, _, _ := runCLI(t, "prepare", "--nih-bbox", td+"nih_bbox.csv"); code != exitUsage {
		t.Errorf("missing --out: exit %d", code)
	}
}
