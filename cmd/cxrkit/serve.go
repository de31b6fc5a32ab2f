package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/imaging"
	"github.com/cxrkit/cxrkit/pipeline"
	"github.com/cxrkit/cxrkit/serve"
	"github.com/urfave/cli/v2"
)

func serveCommand() *cli.Command {
	d := serve.Defaults()
	flags := append(auditFlags(),
		&cli.StringFlag{Name: "addr", Value: "127.0.0.1:8080", Usage: "listen address (port 0 picks a free port)"},
		&cli.StringFlag{Name: "grounding", Value: string(pipeline.GroundingModel), Usage: "model (ask the endpoint) or gold (corpus findings matched by the upload's file name; no GPU)"},
		&cli.StringFlag{Name: "corpus", Usage: "corpus.jsonl for --grounding gold"},
		&cli.IntFlag{Name: "max-upload-mb", Value: int(d.MaxUploadBytes >> 20), Usage: "largest accepted upload (413 above)"},
		&cli.DurationFlag{Name: "request-timeout", Value: d.Timeout, Usage: "time limit of one audit request"},
		&cli.IntFlag{Name: "max-concurrent", Value: d.MaxConcurrent, Usage: "audits at once; more get 503 with Retry-After"},
		&cli.DurationFlag{Name: "upload-timeout", Value: d.UploadTimeout, Usage: "time limit for receiving one upload (408 after)"},
		&cli.IntFlag{Name: "max-draft-chars", Value: d.MaxDraftChars, Usage: "longest accepted draft in characters (413 above)"},
		&cli.StringFlag{Name: "token", EnvVars: []string{"CXRKIT_TOKEN"}, Usage: "require 'Authorization: Bearer TOKEN' on the API"},
		&cli.StringFlag{Name: "review", Usage: "browse a finished audit read-only: its results JSONL (needs --corpus; no model)"},
		&cli.StringFlag{Name: "cases", Usage: "with --review: the cases JSONL, for drafts, case types and expected audits"},
		&cli.StringFlag{Name: "image-root", Usage: "with --review: folder relative image paths are relative to (default: the corpus folder)"},
	)
	return &cli.Command{
		Name:  "serve",
		Usage: "serve the reading room: audit uploads on a web page and JSON API, or browse a finished audit (--review)",
		Flags: flags,
		Action: func(c *cli.Context) error {
			if err := noArgs(c); err != nil {
				return err
			}
			opts, err := serveOptions(c)
			if err != nil {
				return err
			}
			if err := requireInputs(flagPaths(c, []string{"corpus", "review", "cases", "image-root", "prompt-grounding", "prompt-draft",
				"draft-rules", "contract", "labelmap", "draft-system-prompt"})); err != nil {
				return err
			}
			if opts.Review.Results == "" {
				if opts.Auditor, err = auditorConfig(c); err != nil {
					return err
				}
				if opts.Grounding, err = pipeline.ParseGrounding(c.String("grounding")); err != nil {
					return usageError{fmt.Errorf("--grounding %w", err)}
				}
			}
			return runServe(c.Context, opts, globals(c), c.Args().Slice())
		},
	}
}

// serveCmdOptions are serve's options: the server's limits, and either
// the auditor's options or the finished audit to review.
type serveCmdOptions struct {
	Serve serve.Options
	// MaxUploadMB, MaxPixels and MaxImageMB give Serve's byte and image
	// limits.
	MaxUploadMB           int
	MaxPixels, MaxImageMB int64
	Addr                  string
	// Auditor and Grounding are used without a review.
	Auditor   pipeline.AuditorConfig
	Grounding pipeline.Grounding
	// Review.Results set: browse that finished audit read-only.
	Review serve.ReviewFiles
}

// serveOptions reads the flags, over serve.Defaults(); the auditor's
// options are read only without --review, as only then are they used.
func serveOptions(c *cli.Context) (serveCmdOptions, error) {
	o := serveCmdOptions{Serve: serve.Defaults(), MaxUploadMB: c.Int("max-upload-mb"), Addr: c.String("addr"),
		MaxPixels: c.Int64("max-pixels"), MaxImageMB: c.Int64("max-image-mb"),
		Review: serve.ReviewFiles{Results: c.String("review"), Corpus: c.String("corpus"), Cases: c.String("cases"), ImageRoot: c.String("image-root")}}
	o.Serve.GroundingMode, o.Serve.Timeout, o.Serve.MaxConcurrent = c.String("grounding"), c.Duration("request-timeout"), c.Int("max-concurrent")
	o.Serve.Token, o.Serve.UploadTimeout, o.Serve.MaxDraftChars = c.String("token"), c.Duration("upload-timeout"), c.Int("max-draft-chars")
	if o.MaxUploadMB <= 0 || o.Serve.MaxConcurrent <= 0 || o.Serve.MaxDraftChars <= 0 || o.Serve.UploadTimeout <= 0 || o.MaxPixels <= 0 || o.MaxImageMB <= 0 {
		return o, usagef("--max-upload-mb, --max-concurrent, --max-draft-chars, --upload-timeout, --max-pixels and --max-image-mb must be positive")
	}
	o.Serve.MaxUploadBytes, o.Serve.Image = int64(o.MaxUploadMB)<<20, imaging.Budget(o.MaxPixels, o.MaxImageMB)
	return o, nil
}

// runServe serves until ctx is done.
func runServe(ctx context.Context, opts serveCmdOptions, gopts globalOptions, _ []string) error {
	so := opts.Serve
	so.Logger = slog.New(slog.NewTextHandler(gopts.stderr, nil))
	if opts.Review.Results != "" {
		if opts.Review.Corpus == "" {
			return usagef("--review needs --corpus (image paths and annotations)")
		}
		start := time.Now()
		rv, err := serve.LoadReview(ctx, opts.Review)
		if err != nil {
			return err
		}
		so.Review, so.GroundingMode = rv, "review"
		fmt.Fprintf(gopts.stderr, "cxrkit serve: %d results loaded for review in %s\n", rv.Len(), time.Since(start).Round(time.Millisecond))
	} else {
		if opts.Review.Cases != "" || opts.Review.ImageRoot != "" {
			return usagef("--cases and --image-root belong to --review")
		}
		cfg := opts.Auditor
		if opts.Grounding == pipeline.GroundingGold {
			if opts.Review.Corpus == "" {
				return usagef("--grounding gold needs --corpus")
			}
			var err error
			if cfg.Gold, err = cxrkit.LoadJSONL[cxrkit.Record](opts.Review.Corpus); err != nil {
				return err
			}
		}
		setup, err := startAuditor(ctx, cfg, gopts)
		if err != nil {
			return err
		}
		defer setup.Close()
		so.Auditor = setup.Auditor
		if setup.Client != nil {
			so.Health = setup.Client.Health
		}
	}
	handler, err := serve.New(so)
	if err != nil {
		return err
	}
	defer handler.Close()
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	fmt.Fprintf(gopts.stderr, "cxrkit serve: listening on http://%s\n  %s\n", ln.Addr(), cxrkit.Disclaimer)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}
}
