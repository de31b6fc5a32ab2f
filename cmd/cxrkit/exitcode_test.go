package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/eval"
)

func TestExitCodeIsDecidedByType(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"missing flags", usageError{missingFlagsError{[]string{"out"}}}, exitUsage},
		{"invalid options, wrapped", fmt.Errorf("synth: %w", cxrkit.ErrInvalidOptions), exitUsage},
		// A failure that merely reads like a usage error is a failure.
		{"wording only", errors.New(`Required flag "out" not set by the remote end`), exitFailure},
		{"plain failure", errors.New("disk full"), exitFailure},
		// eval's bad input is usage only where the user named the file.
		{"eval input, eval command", inputIsUsage(fmt.Errorf("eval: %w", eval.ErrInput)), exitUsage},
		{"eval input, run stage", fmt.Errorf("run: stage eval: %w", eval.ErrInput), exitFailure},
	}
	for _, tt := range tests {
		if got := exitCode(tt.err); got != tt.want {
			t.Errorf("%s: exit %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestMissingRequiredFlagsAreUsageErrors(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"cxrkit", "synth", "--seed", "1"}, strings.NewReader(""), &stdout, &stderr)
	if code != exitUsage {
		t.Fatalf("exit %d, want %d", code, exitUsage)
	}
	if got := stderr.String(); got != "cxrkit: Required flags \"corpus, out\" not set\n" {
		t.Errorf("stderr %q", got)
	}
	if !strings.Contains(stdout.String(), "cxrkit synth [command options]") {
		t.Errorf("the command's help was not shown:\n%s", stdout.String())
	}
}

// TestMissingInputIsUsage: an input file the command line names that does
// not exist is a usage error (exit 2), reported as one line naming the
// flag, before anything is written; so is an eval input that is not what
// its flag asks for (eval.ErrInput).
func TestMissingInputIsUsage(t *testing.T) {
	dir := t.TempDir()
	nope := filepath.Join(dir, "nope.jsonl")
	corpus := "../../synth/testdata/corpus.jsonl"
	out := filepath.Join(dir, "out")
	// A file a run config names is the user's input too.
	config := filepath.Join(dir, "run.yaml")
	os.WriteFile(config, []byte("out: out\nstages: [prepare, synth]\nprepare:\n  vindr: [nope.csv]\n"), 0o644)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"synth", "--corpus", nope, "--out", filepath.Join(out, "c.jsonl")}, "--corpus " + nope + ": no such file"},
		{[]string{"prepare", "--vindr", filepath.Join(dir, "nope.csv"), "--out", out}, "--vindr " + filepath.Join(dir, "nope.csv") + ": no such file"},
		{[]string{"export", "--corpus", nope, "--out", out}, "--corpus " + nope},
		{[]string{"audit", "--grounding", "gold", "--corpus", corpus, "--cases", nope, "--out", filepath.Join(out, "r.jsonl")}, "--cases " + nope},
		{[]string{"eval", "--gold", corpus, "--pred", nope}, "--pred " + nope},
		{[]string{"eval", "--cases", nope, "--pred", corpus}, "--cases " + nope},
		{[]string{"eval", "--iu-reports", filepath.Join(dir, "nope.csv")}, "--iu-reports"},
		{[]string{"dicom2png", "--out", filepath.Join(out, "x.png"), filepath.Join(dir, "nope.dcm")}, "nope.dcm: no such file"},
		{[]string{"serve", "--grounding", "gold", "--corpus", nope}, "--corpus " + nope},
		{[]string{"run", filepath.Join(dir, "nope.yaml")}, "config " + filepath.Join(dir, "nope.yaml") + ": no such file"},
		{[]string{"run", config}, "prepare.vindr " + filepath.Join(dir, "nope.csv") + ": no such file"},
		{[]string{"audit", "--image", filepath.Join(dir, "nope.zip") + "!a.png", "--draft", "x", "--grounding", "gold", "--corpus", corpus}, "nope.zip!a.png: no such file"},
		// The right file for another flag: exit 2 too.
		{[]string{"eval", "--gold", corpus, "--pred", corpus}, "not audit results"},
	}
	for _, tt := range tests {
		code, _, stderr := runCLI(t, tt.args...)
		if code != exitUsage || !strings.Contains(stderr, tt.want) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q; want exit %d, one line with %q", tt.args, code, stderr, exitUsage, tt.want)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("%s was created by a command refused for a missing input", out)
	}
}
