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
	"github.com/cxrkit/cxrkit/serve"
	"github.com/urfave/cli/v2"
)

func serveCommand() *cli.Command {
	flags := append(auditFlags(),
		&cli.StringFlag{Name: "addr", Value: "127.0.0.1:8080", Usage: "listen address (port 0 picks a free port)"},
		&cli.StringFlag{Name: "grounding", Value: "model", Usage: "model (ask the endpoint) or gold (corpus findings matched by the upload's file name; no GPU)"},
		&cli.StringFlag{Name: "corpus", Usage: "corpus.jsonl for --grounding gold"},
		&cli.IntFlag{Name: "max-upload-mb", Value: 20, Usage: "largest accepted upload (413 above)"},
		&cli.DurationFlag{Name: "request-timeout", Value: 2 * time.Minute, Usage: "time limit of one audit request"},
		&cli.IntFlag{Name: "max-concurrent", Value: 4, Usage: "audits at once; more get 503 with Retry-After"},
		&cli.DurationFlag{Name: "upload-timeout", Value: serve.Defaults().UploadTimeout, Usage: "time limit for receiving one upload (408 after)"},
		&cli.IntFlag{Name: "max-draft-chars", Value: serve.Defaults().MaxDraftChars, Usage: "longest accepted draft in characters (413 above)"},
		&cli.StringFlag{Name: "token", EnvVars: []string{"CXRKIT_TOKEN"}, Usage: "require 'Authorization: Bearer TOKEN' on the API"},
		&cli.StringFlag{Name: "review", Usage: "browse a finished audit read-only: its results JSONL (needs --corpus; no model)"},
		&cli.StringFlag{Name: "cases", Usage: "with --review: the cases JSONL, for drafts, case types and expected audits"},
		&cli.StringFlag{Name: "image-root", Usage: "with --review: folder relative image paths are relative to (default: the corpus folder)"},
	)
	return &cli.Command{
		Name:   "serve",
		Usage:  "serve the reading room: audit uploads on a web page and JSON API, or browse a finished audit (--review)",
		Flags:  flags,
		Action: runServe,
	}
}

func runServe(c *cli.Context) error {
	if err := noArgs(c); err != nil {
		return err
	}
	if c.Int("max-upload-mb") <= 0 || c.Int("max-concurrent") <= 0 || c.Int("max-draft-chars") <= 0 || c.Duration("upload-timeout") <= 0 || c.Int64("max-pixels") <= 0 || c.Int64("max-image-mb") <= 0 {
		return usagef("--max-upload-mb, --max-concurrent, --max-draft-chars, --upload-timeout, --max-pixels and --max-image-mb must be positive")
	}
	if err := requireInputs(flagPaths(c, []string{"corpus", "review", "cases", "image-root", "prompt-grounding", "prompt-draft",
		"draft-rules", "contract", "labelmap", "draft-system-prompt"})); err != nil {
		return err
	}
	opts := serve.Options{GroundingMode: c.String("grounding"),
		MaxUploadBytes: int64(c.Int("max-upload-mb")) << 20, Timeout: c.Duration("request-timeout"),
		MaxConcurrent: c.Int("max-concurrent"), Token: c.String("token"),
		UploadTimeout: c.Duration("upload-timeout"), MaxDraftChars: c.Int("max-draft-chars"),
		Image:  imaging.Budget(c.Int64("max-pixels"), c.Int64("max-image-mb")),
		Logger: slog.New(slog.NewTextHandler(c.App.ErrWriter, nil))}
	if c.String("review") != "" {
		if c.String("corpus") == "" {
			return usagef("--review needs --corpus (image paths and annotations)")
		}
		start := time.Now()
		rv, err := serve.LoadReview(c.Context, serve.ReviewFiles{Results: c.String("review"), Corpus: c.String("corpus"),
			Cases: c.String("cases"), ImageRoot: c.String("image-root")})
		if err != nil {
			return err
		}
		opts.Review, opts.GroundingMode = rv, "review"
		fmt.Fprintf(c.App.ErrWriter, "cxrkit serve: %d results loaded for review in %s\n", rv.Len(), time.Since(start).Round(time.Millisecond))
	} else {
		if c.String("cases") != "" || c.String("image-root") != "" {
			return usagef("--cases and --image-root belong to --review")
		}
		cfg, err := auditorConfig(c)
		if err != nil {
			return err
		}
		if err := setGrounding(c, &cfg, nil); err != nil {
			return err
		}
		setup, err := startAuditor(c.Context, cfg, globals(c))
		if err != nil {
			return err
		}
		defer setup.Close()
		opts.Auditor = setup.Auditor
		if setup.Client != nil {
			opts.Health = setup.Client.Health
		}
	}
	handler, err := serve.New(opts)
	if err != nil {
		return err
	}
	defer handler.Close()
	ln, err := net.Listen("tcp", c.String("addr"))
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	fmt.Fprintf(c.App.ErrWriter, "cxrkit serve: listening on http://%s\n  %s\n", ln.Addr(), cxrkit.Disclaimer)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-c.Context.Done():
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}
}
