package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/labelmap"
	"github.com/cxrkit/cxrkit/synth"
	"github.com/urfave/cli/v2"
)

func synthCommand() *cli.Command {
	d := synth.Defaults()
	return &cli.Command{
		Name:  "synth",
		Usage: "generate synthetic draft impressions and corrupted audit cases with known answers",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "corpus", Required: true, Usage: "corpus.jsonl from prepare"},
			&cli.StringFlag{Name: "out", Required: true, Usage: "cases JSONL to write"},
			&cli.Int64Flag{Name: "seed", Value: d.Seed, Usage: "seed; each case depends only on (seed, source, image_id, case_type)"},
			&cli.StringFlag{Name: "cases", Value: joinNames(d.CaseTypes), Usage: "case types, comma-separated"},
			&cli.StringFlag{Name: "split", Value: joinNames(d.Splits), Usage: "only records of these splits, comma-separated (default all)"},
			&cli.StringFlag{Name: "phrases", Value: d.Phrases, Usage: "phrase bank YAML overriding the embedded configs/phrases.yaml"},
			labelmapFlag(),
		},
		Action: func(c *cli.Context) error {
			if err := noArgs(c); err != nil {
				return err
			}
			if err := refuseOverlap(c, []string{"corpus", "phrases", "labelmap"}, []string{"out"}); err != nil {
				return err
			}
			opts, err := synthOptions(c)
			if err != nil {
				return err
			}
			return runSynth(c.Context, opts, globals(c), c.Args().Slice())
		},
	}
}

// synthCmdOptions are synth's options and the files it reads and writes.
type synthCmdOptions struct {
	synth.Options
	Labelmap    string
	Corpus, Out string
}

// synthOptions reads the flags, over synth.Defaults().
func synthOptions(c *cli.Context) (synthCmdOptions, error) {
	o := synthCmdOptions{Options: synth.Defaults(), Labelmap: c.String("labelmap"), Corpus: c.String("corpus"), Out: c.String("out")}
	var err error
	if o.CaseTypes, err = cxrkit.ParseCaseTypes(splitList(c.String("cases"))); err != nil {
		return o, err
	}
	if o.Splits, err = cxrkit.ParseSplits(splitList(c.String("split"))); err != nil {
		return o, fmt.Errorf("--split: %w", err)
	}
	o.Seed, o.Phrases, o.Progress = c.Int64("seed"), c.String("phrases"), progressFor(c.App.ErrWriter)
	return o, nil
}

// runSynth writes the cases of opts.Corpus to opts.Out.
func runSynth(ctx context.Context, opts synthCmdOptions, gopts globalOptions, _ []string) error {
	var err error
	if opts.Vocab, err = labelmap.LoadFile(opts.Labelmap); err != nil {
		return err
	}
	g, err := synth.NewGenerator(opts.Options)
	if err != nil {
		return err
	}
	s, err := g.GenerateFile(ctx, opts.Corpus, opts.Out)
	if err != nil {
		return err
	}
	fmt.Fprint(gopts.stderr, s.String())
	fmt.Fprintf(gopts.stderr, "  cases    %s\n", opts.Out)
	return nil
}

// joinNames joins the names of a closed set for a flag's default.
func joinNames[T ~string](names []T) string {
	s := make([]string, len(names))
	for i, n := range names {
		s[i] = string(n)
	}
	return strings.Join(s, ",")
}

// splitList splits a comma-separated flag value, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
