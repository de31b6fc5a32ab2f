package main

import (
	"bufio"
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
			&cli.StringFlag{Name: "uncertain-as", Value: uncertainAs(pd.UncertainAsAbsent), Usage: "parser mode: score hedged statements as absent or present"},
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
		Action: func(c *cli.Context) error { return inputIsUsage(runEval(c)) },
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

func runEval(c *cli.Context) error {
	if err := noArgs(c); err != nil {
		return err
	}
	if err := refuseOverlap(c, []string{"gold", "pred", "pred-b", "cases", "iu-reports", "draft-rules", "prompt-draft", "labelmap"},
		[]string{"out", "markdown", "html"}); err != nil {
		return err
	}
	vocab, err := labelmap.LoadFile(c.String("labelmap"))
	if err != nil {
		return err
	}
	switch {
	case c.String("iu-reports") != "":
		return evalParser(c, vocab)
	case c.String("cases") != "":
		return evalAudit(c)
	case c.String("gold") != "":
		return evalImages(c, vocab)
	}
	return usagef("eval: give --gold and --pred (image mode), --cases and --pred (audit mode), or --iu-reports (parser mode)")
}

// writeReports writes the JSON report (to --out or stdout) and the
// optional Markdown and HTML renderings, each atomically.
func writeReports(c *cli.Context, rep any, md func(io.Writer) error, html func(io.Writer) error) error {
	data, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	data = append(data, '\n')
	if out := c.String("out"); out != "" {
		if err := cxrkit.WriteFileAtomic(out, func(w *bufio.Writer) error { _, err := w.Write(data); return err }); err != nil {
			return err
		}
		fmt.Fprintf(c.App.ErrWriter, "  report   %s\n", out)
	} else if _, err := c.App.Writer.Write(data); err != nil {
		return err
	}
	for _, x := range []struct {
		flag  string
		write func(io.Writer) error
	}{{"markdown", md}, {"html", html}} {
		path := c.String(x.flag)
		if path == "" || x.write == nil {
			continue
		}
		if err := cxrkit.WriteFileAtomic(path, func(w *bufio.Writer) error { return x.write(w) }); err != nil {
			return err
		}
		fmt.Fprintf(c.App.ErrWriter, "  %-8s %s\n", x.flag, path)
	}
	return nil
}

func imageOptions(c *cli.Context, vocab *labelmap.Vocabulary) (eval.ImageOptions, error) {
	o := eval.ImageOptions{Bootstrap: c.Int("bootstrap"), Seed: c.Int64("seed"), Urgent: vocab.Urgent(),
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
	if u := c.String("urgent"); u != "" {
		o.Urgent = nil
		for _, name := range splitList(u) {
			l, ok := vocab.Normalize(name)
			if !ok || !l.Positive() {
				return o, usagef("--urgent: unknown label %q", name)
			}
			o.Urgent = append(o.Urgent, l)
		}
	}
	if o.Bootstrap < 0 {
		return o, usagef("--bootstrap %d: want 0 or more", o.Bootstrap)
	}
	if o.WarnFailedShare = c.Float64("warn-failed-share"); o.WarnFailedShare <= 0 || o.WarnFailedShare >= 1 {
		return o, usagef("--warn-failed-share %g: want a share between 0 and 1", o.WarnFailedShare)
	}
	return o, nil
}

func evalImages(c *cli.Context, vocab *labelmap.Vocabulary) error {
	if c.String("pred") == "" {
		return usagef("eval: image mode needs --pred")
	}
	o, err := imageOptions(c, vocab)
	if err != nil {
		return err
	}
	gold, err := eval.LoadGold(c.String("gold"))
	if err != nil {
		return err
	}
	var splits []cxrkit.Split
	if o.Split != "" {
		splits = []cxrkit.Split{o.Split}
	}
	prov := cxrkit.NewProvenance(commandLine(c), o.Seed, splits...)
	if err := prov.AddInput(c.Context, "gold", c.String("gold"), len(gold)); err != nil {
		return err
	}
	if path := c.String("labelmap"); path != "" { // it sets the urgent labels
		if err := prov.AddInput(c.Context, "labelmap", path, 0); err != nil {
			return err
		}
	}
	load := func(flag string) (*eval.Dataset, error) {
		preds, lines, err := eval.LoadResultsRead(c.String(flag))
		if err != nil {
			return nil, err
		}
		if err := prov.AddInput(c.Context, flag, c.String(flag), lines); err != nil {
			return nil, err
		}
		prov.Drop(flag, eval.Superseded, lines-len(preds))
		return eval.NewDataset(gold, preds, o)
	}
	a, err := load("pred")
	if err != nil {
		return err
	}
	title := c.String("title")
	if c.String("pred-b") == "" {
		rep := eval.Evaluate(a, o)
		rep.Provenance = prov
		fmt.Fprintf(c.App.ErrWriter, "cxrkit eval: %d images, %s; macro F1 %s %s\n  %s\n",
			rep.NImages, rep.Failures.Summary("images"), fmtPtr(rep.Presence.MacroF1), fmtCI(rep.Presence.MacroF1CI), cxrkit.Disclaimer)
		return writeReports(c, rep, func(w io.Writer) error { return rep.WriteMarkdown(w, title) },
			func(w io.Writer) error { return rep.WriteHTML(w, title) })
	}
	b, err := load("pred-b")
	if err != nil {
		return err
	}
	rep, err := eval.Compare(a, b, o)
	if err != nil {
		return err
	}
	rep.Provenance = prov
	d := rep.Diff.Values["macro_f1"]
	fmt.Fprintf(c.App.ErrWriter, "cxrkit eval: macro F1 A %s, B %s, B−A %s %s: %s\n  %s\n",
		fmtPtr(rep.A.Presence.MacroF1), fmtPtr(rep.B.Presence.MacroF1), fmtPtr(d.Value), fmtCI(d.CI), d.Winner, cxrkit.Disclaimer)
	na, nb := c.String("pred"), c.String("pred-b")
	return writeReports(c, rep, func(w io.Writer) error { return rep.WriteMarkdown(w, title, na, nb) },
		func(w io.Writer) error { return rep.WriteHTML(w, title, na, nb) })
}

func evalAudit(c *cli.Context) error {
	if c.String("pred") == "" {
		return usagef("eval: audit mode needs --pred")
	}
	cases, err := eval.LoadCases(c.String("cases"))
	if err != nil {
		return err
	}
	results, lines, err := eval.LoadResultsRead(c.String("pred"))
	if err != nil {
		return err
	}
	rep := eval.EvaluateAudit(cases, results)
	rep.Provenance = cxrkit.NewProvenance(commandLine(c), c.Int64("seed"))
	if err := rep.Provenance.AddInput(c.Context, "cases", c.String("cases"), len(cases)); err != nil {
		return err
	}
	if err := rep.Provenance.AddInput(c.Context, "pred", c.String("pred"), lines); err != nil {
		return err
	}
	rep.Provenance.Drop("pred", eval.Superseded, lines-len(results))
	share := c.Float64("warn-failed-share")
	if share <= 0 || share >= 1 {
		return usagef("--warn-failed-share %g: want a share between 0 and 1", share)
	}
	rep.Failures.SetWarnAbove(share)
	all := rep.ExactMatch.Values["all"]
	var parts []string
	for _, k := range rep.Flags.Keys {
		parts = append(parts, fmt.Sprintf("%s F1 %s", k, fmtPtr(rep.Flags.Values[k].F1)))
	}
	fmt.Fprintf(c.App.ErrWriter, "cxrkit eval (audit): %d cases, %s; exact match %s; %s\n  %s\n", rep.Cases, rep.Failures.Summary("cases"), fmtPtr(all.Accuracy), strings.Join(parts, ", "), cxrkit.Disclaimer)
	title := c.String("title")
	return writeReports(c, rep, func(w io.Writer) error { return rep.WriteMarkdown(w, title) },
		func(w io.Writer) error { return rep.WriteHTML(w, title) })
}

func evalParser(c *cli.Context, vocab *labelmap.Vocabulary) error {
	unc, err := pipeline.ParseUncertainAs(c.String("uncertain-as"))
	if err != nil {
		return usageError{fmt.Errorf("--uncertain-as %w", err)}
	}
	parser, err := pipeline.ParseDraftParser(c.String("draft-parser"))
	if err != nil {
		return usageError{fmt.Errorf("--draft-parser %w", err)}
	}
	if c.String("html") != "" {
		return usagef("eval: parser mode writes JSON and --markdown, not --html")
	}
	o := pipeline.ParserEvalOptions{Parser: parser, Rules: c.String("draft-rules"),
		Endpoint: c.String("draft-endpoint"), Model: c.String("draft-model"), APIKey: apiKey(c), PromptDraft: c.String("prompt-draft"),
		Timeout: c.Duration("timeout"), Retries: c.Int("retries"), MaxTokens: c.Int("max-tokens"),
		Concurrency: c.Int("concurrency"), UncertainAsAbsent: unc == pipeline.UncertainAbsent, NoPreflight: c.Bool("no-preflight")}
	rep, sum, err := pipeline.ScoreParserOnIU(c.Context, c.String("iu-reports"), vocab, o)
	if err != nil {
		return err
	}
	// Rows: every report read, scored or skipped.
	rep.Provenance = cxrkit.NewProvenance(commandLine(c), c.Int64("seed"))
	if err := rep.Provenance.AddInput(c.Context, "iu-reports", c.String("iu-reports"), rep.Items+sum.Skipped); err != nil {
		return err
	}
	// Files that change what the parser says (rows 0: not tables).
	for _, flag := range []string{"draft-rules", "prompt-draft", "labelmap"} {
		if path := c.String(flag); path != "" {
			if err := rep.Provenance.AddInput(c.Context, flag, path, 0); err != nil {
				return err
			}
		}
	}
	fmt.Fprintf(c.App.ErrWriter, "cxrkit eval (draft parser %s): %d reports scored, %d skipped (No Indexing or no text), %d unreadable; hedged = %s\n",
		rep.Parser, rep.Items, sum.Skipped, sum.Failed, unc)
	if err := rep.WriteText(c.App.ErrWriter); err != nil {
		return err
	}
	title := c.String("title")
	if err := writeReports(c, rep, func(w io.Writer) error { return rep.WriteMarkdown(w, title) }, nil); err != nil {
		return err
	}
	// The report is written; some readings failed (exit 3).
	return sum.Partial()
}

// uncertainAs names a hedged-statement setting for --uncertain-as.
func uncertainAs(absent bool) string {
	if absent {
		return string(pipeline.UncertainAbsent)
	}
	return string(pipeline.UncertainPresent)
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
