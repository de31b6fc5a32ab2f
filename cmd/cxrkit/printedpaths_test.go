package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// printedPaths returns the paths a command's summary lists as outputs
// (lines "  <kind> <path>" naming a file under dir).
func printedPaths(stderr, dir string) []string {
	var out []string
	for _, line := range strings.Split(stderr, "\n") {
		f := strings.Fields(line)
		if len(f) == 2 && strings.HasPrefix(f[1], dir) {
			out = append(out, f[1])
		}
	}
	return out
}

// TestNoPathPrintedBeforeItExists: prepare, synth and eval list an output
// path only once the file is there; a write that fails (here: a folder
// sits where the file goes) is reported without listing it, and prepare's
// summary does not say "written".
func TestNoPathPrintedBeforeItExists(t *testing.T) {
	td := "../../dataset/testdata/"
	prep := func(out string) (int, string) {
		code, _, stderr := runCLI(t, "prepare", "--vindr", td+"vindr_train.csv", "--vindr-meta", td+"vindr_meta.csv",
			"--nih-bbox", td+"nih_bbox.csv", "--out", out)
		return code, stderr
	}
	block := func(path string) {
		t.Helper()
		// A non-empty folder: renaming a file onto it fails.
		if err := os.MkdirAll(filepath.Join(path, "x"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name    string
		blocked string // output made unwritable
		absent  []string
	}{
		{"corpus unwritable", "corpus.jsonl", []string{"corpus.jsonl", "report.json"}},
		{"report unwritable", "report.json", []string{"report.json"}},
	}
	for _, tt := range tests {
		out := t.TempDir()
		block(filepath.Join(out, tt.blocked))
		code, stderr := prep(out)
		if code == exitOK {
			t.Fatalf("%s: exit 0:\n%s", tt.name, stderr)
		}
		for _, p := range printedPaths(stderr, out) {
			if st, err := os.Stat(p); err != nil || st.IsDir() {
				t.Errorf("%s: printed %s, which was not written:\n%s", tt.name, p, stderr)
			}
		}
		for _, p := range printedPaths(stderr, out) {
			for _, a := range tt.absent {
				if p == filepath.Join(out, a) {
					t.Errorf("%s: listed %s:\n%s", tt.name, a, stderr)
				}
			}
		}
		if tt.blocked == "corpus.jsonl" && strings.Contains(stderr, "images written") {
			t.Errorf("%s: summary says written:\n%s", tt.name, stderr)
		}
	}
	// The good run lists each output, and each exists.
	out := t.TempDir()
	code, stderr := prep(out)
	paths := printedPaths(stderr, out)
	if code != exitOK || len(paths) < 2 {
		t.Fatalf("exit %d, printed %v:\n%s", code, paths, stderr)
	}
	for _, p := range paths {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("printed %s: %v", p, err)
		}
	}
	// synth and eval: a blocked output is an error and is not listed.
	corpus := filepath.Join(out, "corpus.jsonl")
	cases := filepath.Join(out, "cases.jsonl")
	block(cases)
	if code, _, stderr := runCLI(t, "synth", "--corpus", corpus, "--out", cases); code == exitOK || len(printedPaths(stderr, out)) != 0 {
		t.Errorf("synth onto a folder: exit %d:\n%s", code, stderr)
	}
	sc, scases, results := "../../synth/testdata/corpus.jsonl", filepath.Join(out, "c2.jsonl"), filepath.Join(out, "r.jsonl")
	runCLI(t, "synth", "--corpus", sc, "--out", scases)
	if code, _, stderr := runCLI(t, "audit", "--grounding", "gold", "--corpus", sc, "--cases", scases, "--out", results); code != exitOK {
		t.Fatal(stderr)
	}
	rep, md := filepath.Join(out, "rep.json"), filepath.Join(out, "rep.md")
	block(md)
	code, _, stderr = runCLI(t, "eval", "--gold", sc, "--pred", results, "--bootstrap", "0", "--out", rep, "--markdown", md)
	if printed := printedPaths(stderr, out); code == exitOK || len(printed) != 1 || printed[0] != rep {
		t.Errorf("eval with --markdown onto a folder: exit %d, listed %v (want only %s):\n%s", code, printed, rep, stderr)
	}
}
