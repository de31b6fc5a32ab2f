package main

import (
	"bytes"
	"context"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/cxrkit/cxrkit/audit"
	"github.com/cxrkit/cxrkit/dataset"
	"github.com/cxrkit/cxrkit/eval"
	"github.com/cxrkit/cxrkit/labelmap"
	"github.com/cxrkit/cxrkit/pipeline"
	"github.com/cxrkit/cxrkit/sftexport"
	"github.com/cxrkit/cxrkit/synth"
	"github.com/urfave/cli/v2"
	"gopkg.in/yaml.v3"
)

// The prepare flags take their values from dataset.Defaults(), as run's
// config does (pipeline's TestRunPrepareDecodesOverDefaults): a default
// changed in Defaults() changes `cxrkit prepare --help` and `run` alike.
func TestPrepareFlagsTakeDefaults(t *testing.T) {
	got := parsedOptions(t, prepareCommand(), prepareOptions, "--out", t.TempDir())
	sameSettings(t, "prepare", got, dataset.Defaults())
}

// The synth and export flags take their values from the stages'
// Defaults(), which run's synth and export sections decode over.
func TestSynthExportFlagsTakeDefaults(t *testing.T) {
	got := parsedOptions(t, synthCommand(), synthOptions, "--corpus", "c.jsonl", "--out", "o.jsonl")
	sameSettings(t, "synth", got.Options, synth.Defaults())
	exp := parsedOptions(t, exportCommand(), exportOptions, "--out", t.TempDir())
	sameSettings(t, "export", exp, sftexport.Defaults())
}

// The audit and serve flags take their values from
// pipeline.AuditorDefaults(), which run's audit section decodes over.
func TestAuditFlagsTakeDefaults(t *testing.T) {
	for _, cmd := range []*cli.Command{auditCommand(), serveCommand()} {
		got := parsedOptions(t, cmd, auditorConfig)
		sameSettings(t, cmd.Name, got, pipeline.AuditorDefaults())
	}
	// Under a contract, unset flags defer to it; set ones stay.
	got := parsedOptions(t, auditCommand(), auditorConfig, "--contract", "x", "--image-max-side", "512")
	if got.Profile != "" || got.MaxSide != 512 {
		t.Errorf("under a contract: profile %q (want the contract's), image max side %d (want the flag's 512)", got.Profile, got.MaxSide)
	}
}

// The eval flags take their values from eval.Defaults(), which run's eval
// section decodes over.
func TestEvalFlagsTakeDefaults(t *testing.T) {
	vocab, err := labelmap.Default()
	if err != nil {
		t.Fatal(err)
	}
	got := parsedOptions(t, evalCommand(), func(c *cli.Context) (eval.ImageOptions, error) { return imageOptions(c, vocab) })
	sameSettings(t, "eval", got, eval.Defaults())
}

// parsedOptions runs cmd with args and returns what parse made of the
// flags (the command's own action is not run).
func parsedOptions[T any](t *testing.T, cmd *cli.Command, parse func(*cli.Context) (T, error), args ...string) T {
	t.Helper()
	var got T
	cmd.Action = func(c *cli.Context) error {
		var err error
		got, err = parse(c)
		return err
	}
	app := &cli.App{Name: "cxrkit", Commands: []*cli.Command{cmd}, Writer: &bytes.Buffer{}, ErrWriter: &bytes.Buffer{}}
	if err := app.RunContext(context.Background(), append([]string{"cxrkit", cmd.Name}, args...)); err != nil {
		t.Fatal(err)
	}
	return got
}

// sameSettings fails the test for every option (yaml-tagged field, the
// key of the option in a config file) whose value differs between got
// and want, except the keys given.
func sameSettings(t *testing.T, what string, got, want any, except ...string) {
	t.Helper()
	settings := func(v any) map[string]any {
		data, err := yaml.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := yaml.Unmarshal(data, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	g, w := settings(got), settings(want)
	if len(w) == 0 {
		t.Fatalf("%s: no options to compare", what)
	}
	for k, wv := range w {
		if !slices.Contains(except, k) && !reflect.DeepEqual(g[k], wv) {
			t.Errorf("%s: flag default of %s is %v, want Defaults()' %v", what, k, g[k], wv)
		}
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
		{"audit", `hedged draft statements count as present or absent (default: "` + string(d.UncertainAs) + `")`},
		{"eval", `(default: "` + string(pipeline.ParserEvalDefaults().UncertainAs) + `")`},
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
