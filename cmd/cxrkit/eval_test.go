package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cxrkit/cxrkit"
)

func TestEvalCommandModes(t *testing.T) {
	dir := t.TempDir()
	corpus := "../../synth/testdata/corpus.jsonl"
	cases, results := filepath.Join(dir, "cases.jsonl"), filepath.Join(dir, "results.jsonl")
	runCLI(t, "synth", "--corpus", corpus, "--out", cases)
	if code, _, stderr := runCLI(t, "audit", "--grounding", "gold", "--corpus", corpus, "--cases", cases, "--out", results); code != exitOK {
		t.Fatal(stderr)
	}
	// Gold vs gold: perfect.
	report, md, html := filepath.Join(dir, "r.json"), filepath.Join(dir, "r.md"), filepath.Join(dir, "r.html")
	code, _, stderr := runCLI(t, "eval", "--gold", corpus, "--pred", results, "--bootstrap", "50", "--out", report, "--markdown", md, "--html", html)
	if code != exitOK || !strings.Contains(stderr, "macro F1 1.000") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep struct {
		NImages  int `json:"n_images"`
		Presence struct {
			MacroF1 float64 `json:"macro_f1"`
		}
	}
	data, _ := os.ReadFile(report)
	if err := json.Unmarshal(data, &rep); err != nil || rep.NImages != 5 || rep.Presence.MacroF1 != 1 {
		t.Fatalf("report %s", data)
	}
	for _, p := range []string{md, html} {
		if b, err := os.ReadFile(p); err != nil || !strings.Contains(string(b), "not a medical device") {
			t.Errorf("%s: %v", p, err)
		}
	}
	// Audit mode.
	code, out, stderr := runCLI(t, "eval", "--cases", cases, "--pred", results)
	if code != exitOK || !strings.Contains(stderr, "exact match 1.000") || !strings.Contains(out, `"exact_match"`) {
		t.Fatalf("audit mode exit %d: %s", code, stderr)
	}
	// Compare mode against itself: a tie.
	code, _, stderr = runCLI(t, "eval", "--gold", corpus, "--pred", results, "--pred-b", results, "--bootstrap", "20", "--out", filepath.Join(dir, "c.json"))
	if code != exitOK || !strings.Contains(stderr, "B−A 0.000") || !strings.Contains(stderr, "tie") {
		t.Fatalf("compare: %s", stderr)
	}
	for _, args := range [][]string{{"eval"}, {"eval", "--gold", corpus}, {"eval", "--gold", corpus, "--pred", results, "--iou", "2"}} {
		if code, _, _ := runCLI(t, args...); code != exitUsage {
			t.Errorf("%v: exit %d", args, code)
		}
	}
}

func TestEvalParserMode(t *testing.T) {
	code, out, stderr := runCLI(t, "eval", "--iu-reports", "../../dataset/testdata/iu_reports.csv")
	if code != exitOK || !strings.Contains(stderr, "2 reports scored, 1 skipped") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep struct {
		Micro struct{ TP, FP, FN int }
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || rep.Micro.TP != 2 || rep.Micro.FP != 0 || rep.Micro.FN != 0 {
		t.Fatalf("parser report %s", out)
	}

	md := filepath.Join(t.TempDir(), "parser.md")
	if code, _, stderr := runCLI(t, "eval", "--iu-reports", "../../dataset/testdata/iu_reports.csv", "--markdown", md, "--out", filepath.Join(t.TempDir(), "r.json")); code != exitOK {
		t.Fatalf("markdown: exit %d: %s", code, stderr)
	}
	if data, err := os.ReadFile(md); err != nil || !strings.Contains(string(data), "| **micro** | 2 | 2 | 0 | 0 |") || !strings.Contains(string(data), cxrkit.Disclaimer) {
		t.Errorf("markdown report (%v):\n%s", err, data)
	}
	if code, _, stderr := runCLI(t, "eval", "--iu-reports", "../../dataset/testdata/iu_reports.csv", "--html", "x.html"); code != exitUsage || !strings.Contains(stderr, "--html") {
		t.Errorf("--html in parser mode: exit %d (%s), want usage error", code, stderr)
	}
}
