package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cxrkit/cxrkit/dataset"
	"github.com/cxrkit/cxrkit/eval"
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

// runAudit and runEval take options, not a *cli.Context: a test audits
// synth's cases with the corpus findings and scores the results.
func TestRunAuditEvalWithoutTheCLI(t *testing.T) {
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	g := globalOptions{stdout: &stdout, stderr: &stderr}
	corpus := "../../synth/testdata/corpus.jsonl"
	so := synthCmdOptions{Options: synth.Defaults(), Corpus: corpus, Out: filepath.Join(dir, "cases.jsonl")}
	if err := runSynth(context.Background(), so, g, nil); err != nil {
		t.Fatal(err)
	}

	ao := auditCmdOptions{Auditor: pipeline.AuditorDefaults(), Grounding: pipeline.GroundingGold, Corpus: corpus,
		Cases: so.Out, Out: filepath.Join(dir, "results.jsonl"), Concurrency: 2, NoCache: true}
	stderr.Reset()
	if err := runAudit(context.Background(), ao, g, nil); err != nil {
		t.Fatalf("runAudit: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "gold 24") || !strings.Contains(stderr.String(), "results  "+ao.Out) {
		t.Errorf("audit summary %q: want 24 cases from gold and the results file", stderr.String())
	}

	for _, tc := range []struct {
		name string
		opts auditCmdOptions
	}{
		{"no mode", auditCmdOptions{Auditor: pipeline.AuditorDefaults()}},
		{"both modes", auditCmdOptions{Auditor: pipeline.AuditorDefaults(), Image: "x.png", Draft: "d", Cases: so.Out, Out: ao.Out}},
		{"gold without corpus", auditCmdOptions{Auditor: pipeline.AuditorDefaults(), Grounding: pipeline.GroundingGold, Cases: so.Out, Out: ao.Out}},
		{"batch images without a batch file", auditCmdOptions{Auditor: pipeline.AuditorDefaults(), Grounding: pipeline.GroundingGold,
			Corpus: corpus, Cases: so.Out, Out: ao.Out, Batch: pipeline.BatchFiles{Images: pipeline.BatchImagesFile}}},
	} {
		if err := runAudit(context.Background(), tc.opts, g, nil); exitCode(err) != exitUsage {
			t.Errorf("%s: %v (exit %d), want a usage error", tc.name, err, exitCode(err))
		}
	}

	eo := evalCmdOptions{Cases: so.Out, Pred: ao.Out, WarnFailedShare: eval.Defaults().WarnFailedShare, CommandLine: []string{"cxrkit", "eval"}}
	stdout.Reset()
	stderr.Reset()
	if err := runEval(context.Background(), eo, g, nil); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr.String(), "exact match 1.000") || !strings.Contains(stdout.String(), `"exact_match"`) {
		t.Errorf("audit mode: stderr %q", stderr.String())
	}
	if !strings.Contains(stdout.String(), `"cxrkit",`) {
		t.Errorf("the report's provenance lacks the given command line: %s", stdout.String())
	}

	imgOpts := eval.Defaults()
	imgOpts.Thresholds, imgOpts.Bootstrap = []float64{0.5}, 10
	eo = evalCmdOptions{Gold: corpus, Pred: ao.Out, Out: filepath.Join(dir, "r.json"), Image: imgOpts, CommandLine: []string{"cxrkit", "eval"}}
	stderr.Reset()
	if err := runEval(context.Background(), eo, g, nil); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr.String(), "macro F1 1.000") || !strings.Contains(stderr.String(), "report   "+eo.Out) {
		t.Errorf("image mode: stderr %q", stderr.String())
	}

	// A cases file given as predictions is not what --pred asks for: the
	// command makes it a usage error.
	eo = evalCmdOptions{Cases: so.Out, Pred: so.Out, WarnFailedShare: 0.5}
	if err := inputIsUsage(runEval(context.Background(), eo, g, nil)); exitCode(err) != exitUsage {
		t.Errorf("cases as predictions: %v (exit %d), want a usage error", err, exitCode(err))
	}
}
