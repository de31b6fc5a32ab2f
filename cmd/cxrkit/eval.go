package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/eval"
	"github.com/cxrkit/cxrkit/labelmap"
	"github.com/cxrkit/cxrkit/pipeline"
	"github.com/urfave/cli/v2"
)

func evalCommand() *cli.Command {
	pd, ed := pipeline.ParserEvalDefaults(), eval.Defaults()
	return &cli.Command{
		Name:  "eval",
		Usage: "evaluate grounding models and the audit layer, with bootstrap confidence intervals",
		Description: "Image mode: --gold corpus.jsonl --pred results.jsonl (add --pred-b for a paired head-to-head).\n" +
			"Audit mode: --cases cases.jsonl --pred audit_results.jsonl.\n" +
			"Parser mode: --iu-reports indiana_reports.csv scores a draft parser on real reports (--draft-parser rules or llm).",
		Flags: slices.Concat(endpointFlags("parser mode, llm: ", pd.Timeout, pd.Retries), []cli.Flag{
			&cli.StringFlag{Name: "gold", Usage: "image mode: gold corpus.jsonl"},
			&cli.StringFlag{Name: "pred", Usage: "results JSONL (audit results or grounding predictions)"},
			&cli.StringFlag{Name: "pred-b", Usage: "compare mode: a second results file, compared with a paired bootstrap"},
			&cli.StringFlag{Name: "cases", Usage: "audit mode: synth cases with expected audits"},
			&cli.StringFlag{Name: "iu-reports", Usage: "parser mode: IU-Xray indiana_reports.csv or the Open-i parquet (ykumards/open-i), with MeSH labels"},
			&cli.StringFlag{Name: "draft-rules", Usage: "parser mode: rules lexicon overriding configs/draft_rules.yaml"},
			&cli.StringFlag{Name: "draft-parser", Value: string(pd.Parser), Usage: "parser mode: rules or llm (an OpenAI-compatible endpoint)"},
			&cli.StringFlag{Name: "draft-endpoint", Usage: "parser mode, llm: base URL of the draft-parsing model, e.g. http://gpu:8000/v1"},
			&cli.StringFlag{Name: "draft-model", Usage: "parser mode, llm: draft-parsing model name"},
			&cli.StringFlag{Name: "prompt-draft", Usage: "parser mode, llm: draft prompt file overriding configs/prompts/draft_parse.txt"},
			&cli.IntFlag{Name: "max-tokens", Value: pd.MaxTokens, Usage: "parser mode, llm: max_tokens of each request"},
			&cli.IntFlag{Name: "concurrency", Value: pd.Concurrency, Usage: "parser mode, llm: reports read at once"},
			&cli.BoolFlag{Name: "no-preflight", Usage: "parser mode, llm: do not check the endpoint (GET /v1/models: reachable, model served) before reading"},
			&cli.StringFlag{Name: "uncertain-as", Value: string(pd.UncertainAs), Usage: "parser mode: score hedged statements as absent or present"},
			&cli.StringFlag{Name: "split", Usage: "image mode: only gold images of this split"},
			&cli.BoolFlag{Name: "reference-compat", Value: ed.ReferenceCompat, Usage: "image mode: also report the reference project's way (boxes pooled across images, macro F1 over defined labels only) beside cxrkit's"},
			&cli.StringFlag{Name: "iou", Value: joinFloats(ed.Thresholds), Usage: "IoU thresholds of localization, comma-separated"},
			&cli.IntFlag{Name: "bootstrap", Value: ed.Bootstrap, Usage: "bootstrap resamples for 95% intervals (0: none)"},
			&cli.Int64Flag{Name: "seed", Value: ed.Seed, Usage: "bootstrap seed"},
			&cli.StringFlag{Name: "urgent", Usage: "urgent labels for recall (default from the label map)"},
			&cli.StringFlag{Name: "out", Usage: "report.json (default: stdout)"},
			&cli.StringFlag{Name: "markdown", Usage: "also write a model-card style Markdown report"},
			&cli.StringFlag{Name: "html", Usage: "also write a self-contained HTML report with charts"},
			&cli.StringFlag{Name: "title", Value: "cxrkit evaluation", Usage: "report title"},
			&cli.Float64Flag{Name: "warn-failed-share", Value: ed.WarnFailedShare, Usage: "reports warn when more than this share of predictions failed"},
			labelmapFlag(),
		}),
		Action: func(c *cli.Context) error {
			if err := noArgs(c); err != nil {
				return err
			}
			if err := refuseOverlap(c, []string{"gold", "pred", "pred-b", "cases", "iu-reports", "draft-rules", "prompt-draft", "labelmap"},
				[]string{"out", "markdown", "html"}); err != nil {
				return err
			}
			opts, err := evalOptions(c)
			if err != nil {
				return err
			}
			return inputIsUsage(runEval(c.Context, opts, globals(c), c.Args().Slice()))
		},
	}
}

// inputIsUsage makes an eval input that is not what its flag asks for a
// usage error of the eval command, whose user named that file. Only here:
// in run, the same error from a file an earlier stage wrote is a failure.
func inputIsUsage(err error) error {
	if errors.Is(err, eval.ErrInput) {
		return usageError{err}
	}
	return err
}

// evalCmdOptions are eval's options: the files of its mode, the options
// of that mode, and where the reports go.
type evalCmdOptions struct {
	Labelmap string
	// Image mode: Gold and Pred (and PredB to compare); audit mode: Cases
	// and Pred; parser mode: IUReports.
	Gold, Pred, PredB, Cases, IUReports string
	// Out is the JSON report (empty: stdout); Markdown and HTML the
	// optional renderings.
	Out, Markdown, HTML, Title string
	// Seed is recorded in every mode's provenance.
	Seed            int64
	WarnFailedShare float64
	// Image holds image mode's options; Urgent names its urgent labels
	// (empty: the label map's), checked against the label map.
	Image  eval.ImageOptions
	Urgent []string
	// Parser holds parser mode's options.
	Parser pipeline.ParserEvalOptions
	// CommandLine is recorded in the reports, secrets redacted.
	CommandLine []string
}

// evalOptions reads the flags of the mode the command line asks for.
func evalOptions(c *cli.Context) (evalCmdOptions, error) {
	o := evalCmdOptions{Labelmap: c.String("labelmap"), Gold: c.String("gold"), Pred: c.String("pred"), PredB: c.String("pred-b"),
		Cases: c.String("cases"), IUReports: c.String("iu-reports"), Out: c.String("out"), Markdown: c.String("markdown"),
		HTML: c.String("html"), Title: c.String("title"), Seed: c.Int64("seed"), WarnFailedShare: c.Float64("warn-failed-share"),
		Urgent: splitList(c.String("urgent")), CommandLine: commandLine(c)}
	var err error
	switch {
	case o.IUReports != "":
		o.Parser, err = parserEvalOptions(c)
	case o.Cases != "":
	case o.Gold != "" && o.Pred != "":
		o.Image, err = imageFlagOptions(c)
	}
	return o, err
}

// runEval scores image predictions, audit results or a draft parser,
// by the mode opts ask for.
func runEval(ctx context.Context, opts evalCmdOptions, gopts globalOptions, _ []string) error {
	vocab, err := labelmap.LoadFile(opts.Labelmap)
	if err != nil {
		return err
	}
	switch {
	case opts.IUReports != "":
		return evalParser(ctx, opts, gopts, vocab)
	case opts.Cases != "":
		return evalAudit(ctx, opts, gopts)
	case opts.Gold != "":
		return evalImages(ctx, opts, gopts, vocab)
	}
	return usagef("eval: give --gold and --pred (image mode), --cases and --pred (audit mode), or --iu-reports (parser mode)")
}

// writeReports writes the JSON report (to opts.Out or stdout) and the
// optional Markdown and HTML renderings, each atomically.
func writeReports(opts evalCmdOptions, gopts globalOptions, rep any, md func(io.Writer) error, html func(io.Writer) error) error {
	data, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	data = append(data, '\n')
	if out := opts.Out; out != "" {
		if err := cxrkit.WriteFileAtomic(out, func(w *bufio.Writer) error { _, err := w.Write(data); return err }); err != nil {
			return err
		}
		fmt.Fprintf(gopts.stderr, "  report   %s\n", out)
	} else if _, err := gopts.stdout.Write(data); err != nil {
		return err
	}
	for _, x := range []struct {
		flag, path string
		write      func(io.Writer) error
	}{{"markdown", opts.Markdown, md}, {"html", opts.HTML, html}} {
		if x.path == "" || x.write == nil {
			continue
		}
		if err := cxrkit.WriteFileAtomic(x.path, func(w *bufio.Writer) error { return x.write(w) }); err != nil {
			return err
		}
		fmt.Fprintf(gopts.stderr, "  %-8s %s\n", x.flag, x.path)
	}
	return nil
}

// imageOptions reads image mode's flags, the urgent labels resolved in
// vocab.
func imageOptions(c *cli.Context, vocab *labelmap.Vocabulary) (eval.ImageOptions, error) {
	o, err := imageFlagOptions(c)
	if err != nil {
		return o, err
	}
	o.Urgent, err = urgentLabels(splitList(c.String("urgent")), vocab)
	return o, err
}

// imageFlagOptions reads image mode's flags but the urgent labels: those
// need the label map, which runEval loads.
func imageFlagOptions(c *cli.Context) (eval.ImageOptions, error) {
	o := eval.ImageOptions{Bootstrap: c.Int("bootstrap"), Seed: c.Int64("seed"),
		Progress: progressFor(c.App.ErrWriter), ReferenceCompat: c.Bool("reference-compat")}
	if s := c.String("split"); s != "" {
		split, err := cxrkit.ParseSplit(s)
		if err != nil {
			return o, fmt.Errorf("--split: %w", err)
		}
		o.Split = split
	}
	for _, s := range splitList(c.String("iou")) {
		t, err := strconv.ParseFloat(s, 64)
		if err != nil || t <= 0 || t > 1 {
			return o, usagef("--iou %q: want thresholds in (0,1]", s)
		}
		o.Thresholds = append(o.Thresholds, t)
	}
	if o.Bootstrap < 0 {
		return o, usagef("--bootstrap %d: want 0 or more", o.Bootstrap)
	}
	if o.WarnFailedShare = c.Float64("warn-failed-share"); o.WarnFailedShare <= 0 || o.WarnFailedShare >= 1 {
		return o, usagef("--warn-failed-share %g: want a share between 0 and 1", o.WarnFailedShare)
	}
	return o, nil
}

// urgentLabels are the labels of names, or the label map's urgent ones
// when names is empty.
func urgentLabels(names []string, vocab *labelmap.Vocabulary) ([]labelmap.Label, error) {
	if len(names) == 0 {
		return vocab.Urgent(), nil
	}
	var out []labelmap.Label
	for _, name := range names {
		l, ok := vocab.Normalize(name)
		if !ok || !l.Positive() {
			return nil, usagef("--urgent: unknown label %q", name)
		}
		out = append(out, l)
	}
	return out, nil
}

func evalImages(ctx context.Context, opts evalCmdOptions, gopts globalOptions, vocab *labelmap.Vocabulary) error {
	if opts.Pred == "" {
		return usagef("eval: image mode needs --pred")
	}
	o := opts.Image
	var err error
	if o.Urgent, err = urgentLabels(opts.Urgent, vocab); err != nil {
		return err
	}
	gold, err := eval.LoadGold(opts.Gold)
	if err != nil {
		return err
	}
	var splits []cxrkit.Split
	if o.Split != "" {
		splits = []cxrkit.Split{o.Split}
	}
	prov := cxrkit.NewProvenance(opts.CommandLine, o.Seed, splits...)
	if err := prov.AddInput(ctx, "gold", opts.Gold, len(gold)); err != nil {
		return err
	}
	if path := opts.Labelmap; path != "" { // it sets the urgent labels
		if err := prov.AddInput(ctx, "labelmap", path, 0); err != nil {
			return err
		}
	}
	load := func(flag, path string) (*eval.Dataset, error) {
		preds, lines, err := eval.LoadResultsRead(path)
		if err != nil {
			return nil, err
		}
		if err := prov.AddInput(ctx, flag, path, lines); err != nil {
			return nil, err
		}
		prov.Drop(flag, eval.Superseded, lines-len(preds))
		return eval.NewDataset(gold, preds, o)
	}
	a, err := load("pred", opts.Pred)
	if err != nil {
		return err
	}
	title := opts.Title
	if opts.PredB == "" {
		rep := eval.Evaluate(a, o)
		rep.Provenance = prov
		fmt.Fprintf(gopts.stderr, "cxrkit eval: %d images, %s; macro F1 %s %s\n  %s\n",
			rep.NImages, rep.Failures.Summary("images"), fmtPtr(rep.Presence.MacroF1), fmtCI(rep.Presence.MacroF1CI), cxrkit.Disclaimer)
		return writeReports(opts, gopts, rep, func(w io.Writer) error { return rep.WriteMarkdown(w, title) },
			func(w io.Writer) error { return rep.WriteHTML(w, title) })
	}
	b, err := load("pred-b", opts.PredB)
	if err != nil {
		return err
	}
	rep, err := eval.Compare(a, b, o)
	if err != nil {
		return err
	}
	rep.Provenance = prov
	d := rep.MacroF1()
	fmt.Fprintf(gopts.stderr, "cxrkit eval: macro F1 A %s, B %s, B−A %s %s: %s\n  %s\n",
		fmtPtr(rep.A.Presence.MacroF1), fmtPtr(rep.B.Presence.MacroF1), fmtPtr(d.Value), fmtCI(d.CI), d.Winner, cxrkit.Disclaimer)
	na, nb := opts.Pred, opts.PredB
	return writeReports(opts, gopts, rep, func(w io.Writer) error { return rep.WriteMarkdown(w, title, na, nb) },
		func(w io.Writer) error { return rep.WriteHTML(w, title, na, nb) })
}

func evalAudit(ctx context.Context, opts evalCmdOptions, gopts globalOptions) error {
	if opts.Pred == "" {
		return usagef("eval: audit mode needs --pred")
	}
	cases, err := eval.LoadCases(opts.Cases)
	if err != nil {
		return err
	}
	results, lines, err := eval.LoadResultsRead(opts.Pred)
	if err != nil {
		return err
	}
	rep := eval.EvaluateAudit(cases, results)
	rep.Provenance = cxrkit.NewProvenance(opts.CommandLine, opts.Seed)
	if err := rep.Provenance.AddInput(ctx, "cases", opts.Cases, len(cases)); err != nil {
		return err
	}
	if err := rep.Provenance.AddInput(ctx, "pred", opts.Pred, lines); err != nil {
		return err
	}
	rep.Provenance.Drop("pred", eval.Superseded, lines-len(results))
	share := opts.WarnFailedShare
	if share <= 0 || share >= 1 {
		return usagef("--warn-failed-share %g: want a share between 0 and 1", share)
	}
	rep.Failures.SetWarnAbove(share)
	all := rep.Overall()
	var parts []string
	for _, k := range rep.Flags.Keys {
		parts = append(parts, fmt.Sprintf("%s F1 %s", k, fmtPtr(rep.Flags.Values[k].F1)))
	}
	fmt.Fprintf(gopts.stderr, "cxrkit eval (audit): %d cases, %s; exact match %s; %s\n  %s\n", rep.Cases, rep.Failures.Summary("cases"), fmtPtr(all.Accuracy), strings.Join(parts, ", "), cxrkit.Disclaimer)
	title := opts.Title
	return writeReports(opts, gopts, rep, func(w io.Writer) error { return rep.WriteMarkdown(w, title) },
		func(w io.Writer) error { return rep.WriteHTML(w, title) })
}

// parserEvalOptions reads parser mode's flags.
func parserEvalOptions(c *cli.Context) (pipeline.ParserEvalOptions, error) {
	unc, err := pipeline.ParseUncertainAs(c.String("uncertain-as"))
	if err != nil {
		return pipeline.ParserEvalOptions{}, usageError{fmt.Errorf("--uncertain-as %w", err)}
	}
	parser, err := pipeline.ParseDraftParser(c.String("draft-parser"))
	if err != nil {
		return pipeline.ParserEvalOptions{}, usageError{fmt.Errorf("--draft-parser %w", err)}
	}
	return pipeline.ParserEvalOptions{Parser: parser, Rules: c.String("draft-rules"),
		Endpoint: c.String("draft-endpoint"), Model: c.String("draft-model"), APIKey: apiKey(c), PromptDraft: c.String("prompt-draft"),
		Timeout: c.Duration("timeout"), Retries: c.Int("retries"), MaxTokens: c.Int("max-tokens"),
		Concurrency: c.Int("concurrency"), UncertainAs: unc, NoPreflight: c.Bool("no-preflight")}, nil
}

func evalParser(ctx context.Context, opts evalCmdOptions, gopts globalOptions, vocab *labelmap.Vocabulary) error {
	if opts.HTML != "" {
		return usagef("eval: parser mode writes JSON and --markdown, not --html")
	}
	rep, sum, err := pipeline.ScoreParserOnIU(ctx, opts.IUReports, vocab, opts.Parser)
	if err != nil {
		return err
	}
	// Rows: every report read, scored or skipped.
	rep.Provenance = cxrkit.NewProvenance(opts.CommandLine, opts.Seed)
	if err := rep.Provenance.AddInput(ctx, "iu-reports", opts.IUReports, rep.Items+sum.Skipped); err != nil {
		return err
	}
	// Files that change what the parser says (rows 0: not tables).
	for _, f := range []struct{ flag, path string }{{"draft-rules", opts.Parser.Rules}, {"prompt-draft", opts.Parser.PromptDraft}, {"labelmap", opts.Labelmap}} {
		if f.path != "" {
			if err := rep.Provenance.AddInput(ctx, f.flag, f.path, 0); err != nil {
				return err
			}
		}
	}
	fmt.Fprintf(gopts.stderr, "cxrkit eval (draft parser %s): %d reports scored, %d skipped (No Indexing or no text), %d unreadable; hedged = %s\n",
		rep.Parser, rep.Items, sum.Skipped, sum.Failed, opts.Parser.UncertainAs)
	if err := rep.WriteText(gopts.stderr); err != nil {
		return err
	}
	if err := writeReports(opts, gopts, rep, func(w io.Writer) error { return rep.WriteMarkdown(w, opts.Title) }, nil); err != nil {
		return err
	}
	// The report is written; some readings failed (exit 3).
	return sum.Partial()
}

// joinFloats writes numbers for a comma-separated flag's default.
func joinFloats(vs []float64) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = strconv.FormatFloat(v, 'f', -1, 64)
	}
	return strings.Join(s, ",")
}

func fmtPtr(v *float64) string {
	if v == nil {
		return "n/a"
	}
	return fmt.Sprintf("%.3f", *v)
}

func fmtCI(ci *[2]float64) string {
	if ci == nil {
		return ""
	}
	return fmt.Sprintf("[%.3f, %.3f]", ci[0], ci[1])
}
