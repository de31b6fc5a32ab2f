package main

import (
	"fmt"
	"strings"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/labelmap"
	"github.com/cxrkit/cxrkit/synth"
	"github.com/urfave/cli/v2"
)

func synthCommand() *cli.Command {
	return &cli.Command{
		Name:  "synth",
		Usage: "generate synthetic draft impressions and corrupted audit cases with known answers",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "corpus", Required: true, Usage: "corpus.jsonl from prepare"},
			&cli.StringFlag{Name: "out", Required: true, Usage: "cases JSONL to write"},
			&cli.Int64Flag{Name: "seed", Usage: "seed; each case depends only on (seed, source, image_id, case_type)"},
			&cli.StringFlag{Name: "cases", Value: joinNames(cxrkit.CaseTypes()), Usage: "case types, comma-separated"},
			&cli.StringFlag{Name: "split", Usage: "only records of these splits, comma-separated (default all)"},
			&cli.StringFlag{Name: "phrases", Usage: "phrase bank YAML overriding the embedded configs/phrases.yaml"},
			labelmapFlag(),
		},
		Action: func(c *cli.Context) error {
			if err := noArgs(c); err != nil {
				return err
			}
			if err := refuseOverlap(c, []string{"corpus", "phrases", "labelmap"}, []string{"out"}); err != nil {
				return err
			}
			vocab, err := labelmap.LoadFile(c.String("labelmap"))
			if err != nil {
				return err
			}
			bank, err := synth.LoadPhraseBank(c.String("phrases"))
			if err != nil {
				return err
			}
			types, err := cxrkit.ParseCaseTypes(splitList(c.String("cases")))
			if err != nil {
				return err
			}
			splits, err := cxrkit.ParseSplits(splitList(c.String("split")))
			if err != nil {
				return fmt.Errorf("--split: %w", err)
			}
			g, err := synth.NewGenerator(synth.Options{Seed: c.Int64("seed"), CaseTypes: types, Progress: progressFor(c.App.ErrWriter),
				Splits: splits, Vocab: vocab, Bank: bank})
			if err != nil {
				return err
			}
			s, err := g.GenerateFile(c.Context, c.String("corpus"), c.String("out"))
			if err != nil {
				return err
			}
			fmt.Fprint(c.App.ErrWriter, s.String())
			fmt.Fprintf(c.App.ErrWriter, "  cases    %s\n", c.String("out"))
			return nil
		},
	}
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
