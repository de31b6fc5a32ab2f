package main

import (
	"context"

	"github.com/cxrkit/cxrkit/sftexport"
	"github.com/urfave/cli/v2"
)

func exportCommand() *cli.Command {
	d := sftexport.Defaults()
	return &cli.Command{
		Name:  "export",
		Usage: "write SFT parquet datasets (grounding, draft_parse) that TRL, Unsloth and Hugging Face datasets load",
		Description: "Writes DIR/<task>/<split>-NNNNN-of-NNNNN.parquet and DIR/README.md (dataset card).\n" +
			"Images are stored as PNG bytes: 8-bit (16-bit sources windowed down like dicom2png unless --keep-16bit),\n" +
			"otherwise unchanged unless --resize is given or the profile pads to a square.\n" +
			"DIR/contract.json and the card's cxrkit_contract block record the profile, prompts and preprocessing\n" +
			"for audit --contract DIR.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "corpus", Usage: "corpus.jsonl from prepare (grounding task)"},
			&cli.StringFlag{Name: "cases", Usage: "cases JSONL from synth (draft_parse task)"},
			&cli.StringFlag{Name: "out", Required: true, Usage: "dataset folder"},
			&cli.StringFlag{Name: "tasks", Usage: "tasks to export, comma-separated: grounding, draft_parse (default: those whose input is given)"},
			&cli.IntFlag{Name: "resize", Value: d.Resize, Usage: "fit each image's long side to N pixels (re-encodes); 0 keeps the bytes"},
			&cli.StringFlag{Name: "image-root", Usage: "folder relative image paths are relative to (default: the corpus folder)"},
			&cli.IntFlag{Name: "shard-rows", Value: d.ShardRows, Usage: "rows per parquet shard"},
			&cli.StringFlag{Name: "profile", Value: d.Profile, Usage: "model profile the targets are written for: cxrkit, medgemma-native, or a profile .yaml file"},
			&cli.StringFlag{Name: "format", Value: string(d.Format), Usage: "row layout: messages, or prompt-completion (TRL's conversational prompt/completion columns, for completion-only loss)"},
			&cli.Int64Flag{Name: "max-pixels", Value: d.MaxPixels, Usage: "refuse images whose header declares more pixels than this, before decoding"},
			&cli.Int64Flag{Name: "max-image-mb", Value: d.MaxImageMB, Usage: "largest image file, and decoding memory for one image, in MiB; a larger image is refused before it is read"},
			&cli.BoolFlag{Name: "keep-16bit", Value: d.Keep16Bit, Usage: "keep 16-bit images as they are (default: window them down to 8 bits, since PIL's convert(\"RGB\") clips 16-bit to white)"},
			&cli.BoolFlag{Name: "verify", Value: d.Verify, Usage: "read every shard back with Apache Arrow: row counts, schema, every image decodes"},
			&cli.BoolFlag{Name: "skip-missing", Value: d.SkipMissing, Usage: "count and report missing or unreadable images instead of failing"},
			&cli.StringFlag{Name: "prompt-grounding", Usage: "grounding prompt file overriding the profile's"},
			&cli.StringFlag{Name: "prompt-draft", Usage: "draft prompt file overriding the profile's"},
			&cli.IntFlag{Name: "workers", DefaultText: "one per core", Usage: "image workers"},
			&cli.BoolFlag{Name: "force", Usage: "write into an --out folder that holds files export did not write (they are left alone; README.md becomes the card)"},
		},
		Action: func(c *cli.Context) error {
			if err := noArgs(c); err != nil {
				return err
			}
			if err := refuseOverlap(c, []string{"corpus", "cases", "image-root", "prompt-grounding", "prompt-draft"}, []string{"out"}); err != nil {
				return err
			}
			opts, err := exportOptions(c)
			if err != nil {
				return err
			}
			return runExport(c.Context, opts, globals(c), c.Args().Slice())
		},
	}
}

// exportOptions reads the flags, over sftexport.Defaults().
func exportOptions(c *cli.Context) (sftexport.Options, error) {
	o := sftexport.Defaults()
	format, err := sftexport.ParseFormat(c.String("format"))
	if err != nil {
		return o, usagef("%v", err)
	}
	o.Profile, o.Format, o.Keep16Bit, o.MaxPixels = c.String("profile"), format, c.Bool("keep-16bit"), c.Int64("max-pixels")
	o.MaxImageMB = c.Int64("max-image-mb")
	if o.Tasks, err = sftexport.ParseTasks(splitList(c.String("tasks"))); err != nil {
		return o, err
	}
	o.Corpus, o.Cases, o.Out = c.String("corpus"), c.String("cases"), c.String("out")
	o.Resize, o.ImageRoot, o.ShardRows = c.Int("resize"), c.String("image-root"), c.Int("shard-rows")
	o.Verify, o.SkipMissing = c.Bool("verify"), c.Bool("skip-missing")
	o.PromptGrounding, o.PromptDraft = c.String("prompt-grounding"), c.String("prompt-draft")
	o.Workers, o.Force, o.Progress = c.Int("workers"), c.Bool("force"), progressFor(c.App.ErrWriter)
	return o, nil
}

// runExport writes the SFT dataset and says what it wrote.
func runExport(ctx context.Context, opts sftexport.Options, gopts globalOptions, _ []string) error {
	s, err := sftexport.Export(ctx, opts)
	if err != nil {
		// The summary names the card; print it only once the export
		// exists.
		return err
	}
	if err := s.WriteText(gopts.stderr); err != nil {
		return err
	}
	return s.Partial()
}
