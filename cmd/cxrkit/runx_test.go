package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cxrkit/cxrkit/dataset"
	"github.com/cxrkit/cxrkit/pipeline"
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

// runPrepare, runLabels and runPipeline take options, not flags.
func TestRunPrepareLabelsPipelineWithoutTheCLI(t *testing.T) {
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	g := globalOptions{stdout: &stdout, stderr: &stderr}
	po := dataset.Defaults()
	po.NIHBoxes, po.NormalRatio, po.Out = []string{"../../testdata/nih/BBox_List_2017_sample.csv"}, dataset.NormalRatioAll, filepath.Join(dir, "prep")
	if err := runPrepare(context.Background(), po, g, nil); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr.String(), "corpus   "+filepath.Join(po.Out, dataset.CorpusFile)) {
		t.Errorf("prepare summary %q does not name the corpus", stderr.String())
	}

	if err := runLabels(context.Background(), labelsOptions{JSON: true}, g, nil); err != nil || !strings.Contains(stdout.String(), `"box_format"`) {
		t.Errorf("labels --json: %v, %q", err, stdout.String())
	}

	abs, _ := filepath.Abs("../../testdata/nih/BBox_List_2017_sample.csv")
	cfg := filepath.Join(dir, "c.yaml")
	os.WriteFile(cfg, []byte("out: out\nstages: [prepare]\nprepare:\n  nih_bbox: ["+abs+"]\n  normal_ratio: all\n"), 0o644)
	stderr.Reset()
	if err := runPipeline(context.Background(), pipeline.RunOptions{}, g, []string{cfg}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr.String(), "prepare  [ran]") {
		t.Errorf("run log %q lacks the prepare headline", stderr.String())
	}
}
