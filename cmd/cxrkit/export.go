package main

import (
	"github.com/cxrkit/cxrkit/sftexport"
	"github.com/urfave/cli/v2"
)

func exportCommand() *cli.Command {
	return &cli.Command{
		Name:  "export",
		Usage: "write SFT parquet datasets (grounding, draft_parse) that TRL, Unsloth and Hugging Face datasets load",
		Description: "Writes DIR/<task>/<split>-NNNNN-of-NNNNN.parquet and DIR/README.md (dataset card).\n" +
			"Images are stored as PNG bytes, unchanged unless --resize is given.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "corpus", Usage: "corpus.jsonl from prepare (grounding task)"},
			&cli.StringFlag{Name: "cases", Usage: "cases JSONL from synth (draft_parse task)"},
			&cli.StringFlag{Name: "out", Required: true, Usage: "dataset folder"},
			&cli.StringFlag{Name: "tasks", Usage: "tasks to export, comma-separated: grounding, draft_parse (default: those whose input is given)"},
			&cli.IntFlag{Name: "resize", Usage: "fit each image's long side to N pixels (re-encodes); 0 keeps the bytes"},
			&cli.StringFlag{Name: "image-root", Usage: "folder relative image paths are relative to (default: the corpus folder)"},
			&cli.IntFlag{Name: "shard-rows", Value: 1000, Usage: "rows per parquet shard"},
			&cli.BoolFlag{Name: "verify", Usage: "read every shard back with Apache Arrow: row counts, schema, every image decodes"},
			&cli.BoolFlag{Name: "skip-missing", Usage: "count and report missing or unreadable images instead of failing"},
			&cli.StringFlag{Name: "prompt-grounding", Usage: "grounding prompt file overriding configs/prompts/grounding.txt"},
			&cli.StringFlag{Name: "prompt-draft", Usage: "draft prompt file overriding configs/prompts/draft_parse.txt"},
			&cli.IntFlag{Name: "workers", Usage: "image workers (default: one per core)"},
		},
		Action: func(c *cli.Context) error {
			if err := noArgs(c); err != nil {
				return err
			}
			s, err := sftexport.Export(c.Context, sftexport.Options{
				Corpus: c.String("corpus"), Cases: c.String("cases"), Out: c.String("out"), Tasks: splitList(c.String("tasks")),
				Resize: c.Int("resize"), ImageRoot: c.String("image-root"), ShardRows: c.Int("shard-rows"),
				Verify: c.Bool("verify"), SkipMissing: c.Bool("skip-missing"),
				PromptGrounding: c.String("prompt-grounding"), PromptDraft: c.String("prompt-draft"),
				Workers: c.Int("workers"), Progress: progressFor(c.App.ErrWriter),
			})
			if s != nil {
				if werr := s.WriteText(c.App.ErrWriter); werr != nil && err == nil {
					err = werr
				}
			}
			return err
		},
	}
}
