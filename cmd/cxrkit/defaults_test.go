package main

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/cxrkit/cxrkit/audit"
	"github.com/cxrkit/cxrkit/dataset"
	"github.com/cxrkit/cxrkit/eval"
	"github.com/cxrkit/cxrkit/pipeline"
	"github.com/urfave/cli/v2"
)

// The prepare flags take their values from dataset.Defaults(), as run's
// config does (pipeline's TestRunPrepareDecodesOverDefaults): a default
// changed in Defaults() changes `cxrkit prepare --help` and `run` alike.
func TestPrepareFlagsTakeDefaults(t *testing.T) {
	cmd := prepareCommand()
	var got dataset.Options
	cmd.Action = func(c *cli.Context) error {
		var err error
		got, err = prepareOptions(c)
		return err
	}
	app := &cli.App{Name: "cxrkit", Commands: []*cli.Command{cmd}, Writer: &bytes.Buffer{}, ErrWriter: &bytes.Buffer{}}
	if err := app.RunContext(context.Background(), []string{"cxrkit", "prepare", "--out", t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	d := dataset.Defaults()
	type bearing struct {
		merge                                  string
		mergeIoU, crossIoU, ratio, val, testFr float64
		readers, dist                          int
		seed                                   int64
	}
	of := func(o dataset.Options) bearing {
		return bearing{string(o.Merge), o.MergeIoU, o.CrossIoU, o.NormalRatio, o.ValFraction, o.TestFraction, o.MinReaders, o.DedupDistance, o.Seed}
	}
	if of(got) != of(d) {
		t.Errorf("prepare flags give %+v, want dataset.Defaults() %+v", of(got), of(d))
	}
}

// The numbers the issue found written two or three times now come from
// one place each; the help shows them.
func TestHelpShowsTheOneDefault(t *testing.T) {
	d := pipeline.AuditorDefaults()
	tests := []struct{ cmd, want string }{
		{"audit", "(default: " + itoa(audit.BatchDefaults().Concurrency) + ")"},
		{"audit", "(default: " + itoa(d.Retries) + ")"},
		{"audit", "(default: " + itoa(d.MaxSide) + ")"},
		{"audit", "(default: " + itoa(d.MaxTokens) + ")"},
		{"eval", "(default: " + itoa(eval.Defaults().Bootstrap) + ")"},
		{"eval", "parser mode, llm: transport retries on 429, 5xx, dropped connections and timeouts (0: none)"},
		{"audit", "transport retries on 429, 5xx, dropped connections and timeouts (0: none)"},
		{"serve", "transport retries on 429, 5xx, dropped connections and timeouts (0: none)"},
		{"audit", `hedged draft statements count as present or absent (default: "` + d.UncertainAs + `")`},
		{"eval", `(default: "` + uncertainAs(pipeline.ParserEvalDefaults().UncertainAsAbsent) + `")`},
		{"eval", "(default: " + pipeline.ParserEvalDefaults().Timeout.String() + ")"},
		{"eval", "(default: " + itoa(pipeline.ParserEvalDefaults().MaxTokens) + ")"},
		{"prepare", `(default: "` + dataset.FormatNormalRatio(dataset.Defaults().NormalRatio) + `")`},
	}
	for _, tt := range tests {
		var out bytes.Buffer
		run(context.Background(), []string{"cxrkit", tt.cmd, "--help"}, strings.NewReader(""), &out, &out)
		if !strings.Contains(out.String(), tt.want) {
			t.Errorf("%s --help lacks %s", tt.cmd, tt.want)
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
