package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/audit"
	"github.com/cxrkit/cxrkit/infer"
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
		&cli.StringFlag{Name: "grounding", Value: "model", Usage: "model (ask the endpoint) or gold (use the corpus findings: no GPU)"},
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
		Flags:  flags,
		Action: runAudit,
	}
}

func runAudit(c *cli.Context) error {
	if err := noArgs(c); err != nil {
		return err
	}
	single := c.String("image") != "" || c.String("draft") != ""
	batch := c.String("cases") != ""
	switch {
	case single && batch:
		return usagef("audit: give either --image/--draft (single) or --cases (batch), not both")
	case single && (c.String("image") == "" || c.String("draft") == ""):
		return usagef("audit: single mode needs both --image and --draft")
	case !single && !batch:
		return usagef("audit: give --image F --draft TEXT, or --cases F --out F")
	case batch && c.String("out") == "" && c.String("emit-batch") == "":
		return usagef("audit: batch mode needs --out (or --emit-batch)")
	}
	if err := refuseOverlap(c, []string{"cases", "corpus", "image", "image-root", "ingest-batch", "prompt-grounding",
		"prompt-draft", "draft-rules", "contract", "labelmap", "ingest-draft-batch", "draft-system-prompt"},
		[]string{"out", "emit-batch", "cache", "emit-draft-batch", "resubmit-batch"}); err != nil {
		return err
	}
	var records []cxrkit.Record
	if p := c.String("corpus"); p != "" {
		var err error
		if records, err = cxrkit.LoadJSONL[cxrkit.Record](p); err != nil {
			return err
		}
	}
	cfg, err := auditorConfig(c)
	if err != nil {
		return err
	}
	if err := setGrounding(c, &cfg, records); err != nil {
		return err
	}
	batchRun, err := setBatchChat(c, &cfg)
	if err != nil {
		return err
	}
	if !c.Bool("no-cache") && cfg.Gold == nil && cfg.Chat == nil {
		dir := c.String("cache")
		if dir == "" {
			var err error
			if dir, err = infer.DefaultCacheDir(); err != nil {
				return err
			}
		}
		bc, err := infer.OpenCache(dir)
		if err != nil {
			return err
		}
		if bc.Warning != "" {
			fmt.Fprintf(c.App.ErrWriter, "cxrkit: warning: %s\n", bc.Warning)
		}
		defer bc.Close()
		cfg.Cache = bc
	}
	setup, err := startAuditor(c.Context, cfg, globals(c))
	if err != nil {
		return err
	}
	defer setup.Close()
	if single {
		res := setup.Auditor.Audit(c.Context, audit.Input{CaseID: "single", DraftText: c.String("draft"),
			Image: cxrkit.ImageRef{Source: "upload", ImageID: filepath.Base(c.String("image")), Path: c.String("image")}})
		enc := json.NewEncoder(c.App.Writer)
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
	inputs, err := audit.LoadInputs(c.String("cases"), records, filepath.Dir(c.String("corpus")), c.String("image-root"))
	if err != nil {
		return err
	}
	if batchRun != nil && batchRun.grounding != nil {
		return batchRun.emit(c.Context, c, setup.Auditor, inputs)
	}
	s, err := setup.Auditor.RunBatch(c.Context, inputs, audit.BatchOptions{Out: c.String("out"),
		Concurrency: c.Int("concurrency"), KeepErrors: c.Bool("keep-errors"), Progress: progressPairFor(c)})
	if errors.Is(err, cxrkit.ErrLocked) {
		return err
	}
	fmt.Fprint(c.App.ErrWriter, s.String())
	if _, serr := os.Stat(c.String("out")); serr == nil {
		fmt.Fprintf(c.App.ErrWriter, "  results  %s\n", c.String("out"))
	}
	if err != nil {
		return err
	}
	if batchRun != nil {
		if rerr := batchRun.afterIngest(c, c.App.ErrWriter); rerr != nil {
			return rerr
		}
	}
	return s.Partial()
}

func progressPairFor(c *cli.Context) func(done, total int) {
	p := progressFor(c.App.ErrWriter)
	if p == nil {
		return nil
	}
	return func(done, total int) { p("auditing", done, total) }
}
