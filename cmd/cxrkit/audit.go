package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/audit"
	"github.com/cxrkit/cxrkit/pipeline"
	"github.com/urfave/cli/v2"
)

func auditCommand() *cli.Command {
	flags := append(auditFlags(),
		&cli.StringFlag{Name: "image", Usage: "single mode: the image (PNG, JPEG or DICOM)"},
		&cli.StringFlag{Name: "draft", Usage: "single mode: the draft impression text"},
		&cli.StringFlag{Name: "cases", Usage: "batch mode: cases JSONL (case_id, image_id, draft_text, image_path or --corpus)"},
		&cli.StringFlag{Name: "out", Usage: "batch mode: results JSONL (resumable: finished cases are not redone, errored ones are retried; locked while a run writes it)"},
		&cli.BoolFlag{Name: "keep-errors", Usage: "batch mode: treat errored results already in --out as finished instead of retrying them"},
		&cli.StringFlag{Name: "corpus", Usage: "corpus.jsonl: image paths for cases, and findings for --grounding gold"},
		&cli.StringFlag{Name: "grounding", Value: string(pipeline.GroundingModel), Usage: "model (ask the endpoint) or gold (use the corpus findings: no GPU)"},
		&cli.StringFlag{Name: "image-root", Usage: "folder that relative image paths are relative to (default: the folder of the file that holds them)"},
		&cli.IntFlag{Name: "concurrency", Value: audit.BatchDefaults().Concurrency, Usage: "requests in flight at once, across all endpoints"},
		&cli.StringFlag{Name: "cache", Usage: "response cache folder (default: cxrkit in the user cache folder)"},
		&cli.BoolFlag{Name: "no-cache", Usage: "do not cache responses"},
	)
	flags = append(flags, batchFlags()...)
	return &cli.Command{
		Name:  "audit",
		Usage: "audit drafts against images: ground the image, parse the draft, flag MISSING / UNSUPPORTED / URGENT",
		Description: "Single mode: --image F --draft TEXT prints one result. Batch mode: --cases F --out F.\n" +
			"--grounding gold --corpus F audits with the corpus findings instead of a model.\n" + cxrkit.Disclaimer,
		Flags: flags,
		Action: func(c *cli.Context) error {
			if err := noArgs(c); err != nil {
				return err
			}
			opts, err := auditOptions(c)
			if err != nil {
				return err
			}
			if err := opts.checkMode(); err != nil {
				return err
			}
			if err := refuseOverlap(c, []string{"cases", "corpus", "image", "image-root", "ingest-batch", "prompt-grounding",
				"prompt-draft", "draft-rules", "contract", "labelmap", "ingest-draft-batch", "draft-system-prompt"},
				[]string{"out", "emit-batch", "cache", "emit-draft-batch", "resubmit-batch"}); err != nil {
				return err
			}
			return runAudit(c.Context, opts, globals(c), c.Args().Slice())
		},
	}
}

// auditCmdOptions are audit's options: the auditor's, where its image
// findings come from, the batch files, and the files it reads and writes.
type auditCmdOptions struct {
	Auditor   pipeline.AuditorConfig
	Grounding pipeline.Grounding
	Batch     pipeline.BatchFiles
	// Single mode.
	Image, Draft string
	// Batch mode.
	Cases, Out, Corpus, ImageRoot string
	KeepErrors                    bool
	Concurrency                   int
	// Cache is the response cache folder (default: the user's); NoCache
	// turns it off.
	Cache   string
	NoCache bool
}

// auditOptions reads the flags, over pipeline.AuditorDefaults().
func auditOptions(c *cli.Context) (auditCmdOptions, error) {
	o := auditCmdOptions{Image: c.String("image"), Draft: c.String("draft"), Cases: c.String("cases"), Out: c.String("out"),
		Corpus: c.String("corpus"), ImageRoot: c.String("image-root"), KeepErrors: c.Bool("keep-errors"),
		Concurrency: c.Int("concurrency"), Cache: c.String("cache"), NoCache: c.Bool("no-cache")}
	var err error
	if o.Auditor, err = auditorConfig(c); err != nil {
		return o, err
	}
	if o.Grounding, err = pipeline.ParseGrounding(c.String("grounding")); err != nil {
		return o, usageError{fmt.Errorf("--grounding %w", err)}
	}
	if o.Batch, err = batchFiles(c); err != nil {
		return o, err
	}
	return o, nil
}

// single reports whether opts ask for single mode; checkMode refuses
// options that ask for neither mode or both.
func (o auditCmdOptions) single() bool { return o.Image != "" || o.Draft != "" }

func (o auditCmdOptions) checkMode() error {
	single, batch := o.single(), o.Cases != ""
	switch {
	case single && batch:
		return usagef("audit: give either --image/--draft (single) or --cases (batch), not both")
	case single && (o.Image == "" || o.Draft == ""):
		return usagef("audit: single mode needs both --image and --draft")
	case !single && !batch:
		return usagef("audit: give --image F --draft TEXT, or --cases F --out F")
	case batch && o.Out == "" && o.Batch.Emit == "":
		return usagef("audit: batch mode needs --out (or --emit-batch)")
	}
	return nil
}

// runAudit audits one draft (single mode) or a cases file (batch mode),
// or writes or reads batch files.
func runAudit(ctx context.Context, opts auditCmdOptions, gopts globalOptions, _ []string) error {
	if err := opts.checkMode(); err != nil {
		return err
	}
	var records []cxrkit.Record
	if opts.Corpus != "" {
		var err error
		if records, err = cxrkit.LoadJSONL[cxrkit.Record](opts.Corpus); err != nil {
			return err
		}
	}
	cfg := opts.Auditor
	if opts.Grounding == pipeline.GroundingGold {
		if opts.Corpus == "" {
			return usagef("--grounding gold needs --corpus")
		}
		cfg.Gold = records
	}
	batchRun, err := opts.Batch.Apply(&cfg)
	if err != nil {
		return err
	}
	if !opts.NoCache && cfg.Gold == nil && cfg.Chat == nil {
		bc, err := pipeline.OpenCache(opts.Cache)
		if err != nil {
			return err
		}
		if bc.Warning != "" {
			fmt.Fprintf(gopts.stderr, "cxrkit: warning: %s\n", bc.Warning)
		}
		defer bc.Close()
		cfg.Cache = bc
	}
	setup, err := startAuditor(ctx, cfg, gopts)
	if err != nil {
		return err
	}
	defer setup.Close()
	if opts.single() {
		res := setup.Auditor.Audit(ctx, audit.Input{CaseID: "single", DraftText: opts.Draft,
			Image: cxrkit.ImageRef{Source: "upload", ImageID: filepath.Base(opts.Image), Path: opts.Image}})
		enc := json.NewEncoder(gopts.stdout)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			return err
		}
		if res.Error != nil {
			return fmt.Errorf("audit failed: %s", *res.Error)
		}
		return nil
	}
	inputs, err := audit.LoadInputs(opts.Cases, records, filepath.Dir(opts.Corpus), opts.ImageRoot)
	if err != nil {
		return err
	}
	if batchRun.Emitting() {
		return batchRun.Emit(ctx, setup.Auditor, inputs, opts.Concurrency, gopts.stderr)
	}
	s, err := setup.Auditor.RunBatch(ctx, inputs, audit.BatchOptions{Out: opts.Out,
		Concurrency: opts.Concurrency, KeepErrors: opts.KeepErrors, Progress: progressPairFor(gopts.stderr)})
	if errors.Is(err, cxrkit.ErrLocked) {
		return err
	}
	fmt.Fprint(gopts.stderr, s.String())
	if _, serr := os.Stat(opts.Out); serr == nil {
		fmt.Fprintf(gopts.stderr, "  results  %s\n", opts.Out)
	}
	if err != nil {
		return err
	}
	if batchRun != nil {
		if rerr := batchRun.AfterIngest(gopts.stderr); rerr != nil {
			return rerr
		}
	}
	return s.Partial()
}

func progressPairFor(w io.Writer) func(done, total int) {
	p := progressFor(w)
	if p == nil {
		return nil
	}
	return func(done, total int) { p("auditing", done, total) }
}
