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

func TestSynthCommand(t *testing.T) {
	out := filepath.Join(t.TempDir(), "cases.jsonl")
	code, _, stderr := runCLI(t, "synth", "--corpus", "../../synth/testdata/corpus.jsonl", "--out", out, "--cases", "missing,faithful", "--split", "train")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	data, _ := os.ReadFile(out)
	if n := strings.Count(string(data), "\n"); n != 5 {
		t.Errorf("%d cases, want 5 (3 train records: 3 faithful + 2 missing)", n)
	}
	if !strings.Contains(stderr, "cxrkit synth: 5 cases") || !strings.Contains(stderr, "not a medical device") {
		t.Errorf("summary: %s", stderr)
	}
	if code, _, _ := runCLI(t, "synth", "--corpus", "../../synth/testdata/corpus.jsonl", "--out", out, "--cases", "bogus"); code != exitUsage {
		t.Errorf("unknown case type: exit %d, want %d", code, exitUsage)
	}
}

// TestPrepareWritingNoImageFails: VinDr rows without image sizes give an
// empty corpus; that is a failure naming the reason, not exit 0.
func TestPrepareWritingNoImageFails(t *testing.T) {
	code, _, stderr := runCLI(t, "prepare", "--vindr", "../../testdata/vindr/train.csv", "--out", t.TempDir())
	if code != exitFailure || !strings.Contains(stderr, "prepare wrote no image") || !strings.Contains(stderr, "no known image size") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
}
