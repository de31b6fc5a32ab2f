package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cxrkit/cxrkit/sftexport"
	"github.com/cxrkit/cxrkit/synth"
)

// The run functions take options and writers, not a command line: a test
// drives synth then export without urfave/cli.
func TestRunSynthExportWithoutTheCLI(t *testing.T) {
	dir := t.TempDir()
	var stderr bytes.Buffer
	g := globalOptions{stdout: &bytes.Buffer{}, stderr: &stderr}
	so := synthCmdOptions{Options: synth.Defaults(), Corpus: "../../synth/testdata/corpus.jsonl", Out: filepath.Join(dir, "cases.jsonl")}
	if err := runSynth(context.Background(), so, g, nil); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(so.Out)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("../../synth/testdata/golden_cases.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("runSynth with synth.Defaults() (seed 0) differs from synth's golden cases")
	}
	if !strings.Contains(stderr.String(), "cases    "+so.Out) {
		t.Errorf("synth summary %q does not name the cases file", stderr.String())
	}

	eo := sftexport.Defaults()
	eo.Cases, eo.Out = so.Out, filepath.Join(dir, "export")
	stderr.Reset()
	if err := runExport(context.Background(), eo, g, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(eo.Out, "README.md")); err != nil {
		t.Errorf("no dataset card: %v", err)
	}
	if !strings.Contains(stderr.String(), "draft_parse") {
		t.Errorf("export summary %q does not name the task", stderr.String())
	}
}
