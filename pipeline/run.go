package pipeline

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/audit"
	"github.com/cxrkit/cxrkit/dataset"
	"github.com/cxrkit/cxrkit/eval"
	"github.com/cxrkit/cxrkit/labelmap"
	"github.com/cxrkit/cxrkit/sftexport"
	"github.com/cxrkit/cxrkit/synth"
)

// RunOptions control a pipeline run.
type RunOptions struct {
	// Force reruns stages whose outputs are up to date.
	Force bool
	// Log receives one line per stage as it starts and ends.
	Log io.Writer
	// Progress is passed to stages that report it.
	Progress func(stage string, done, total int)
	// Command is the command line that started the run, recorded in the
	// eval reports' provenance.
	Command []string
}

// StageResult is one stage's outcome.
type StageResult struct {
	Stage    string      `json:"stage"`
	Status   StageStatus `json:"status"`
	Seconds  float64     `json:"seconds"`
	Outputs  []string    `json:"outputs"`
	Headline string      `json:"headline"`
}

// Summary is a whole run.
type Summary struct {
	Config string        `json:"config"`
	Out    string        `json:"out"`
	Stages []StageResult `json:"stages"`
}

// paths are a run's fixed output locations.
type paths struct{ out string }

func (p paths) corpus() string  { return filepath.Join(p.out, "prepare", dataset.CorpusFile) }
func (p paths) report() string  { return filepath.Join(p.out, "prepare", dataset.ReportFile) }
func (p paths) rejects() string { return filepath.Join(p.out, "prepare", dataset.RejectsFile) }
func (p paths) cases() string   { return filepath.Join(p.out, "synth", "cases.jsonl") }
func (p paths) export() string  { return filepath.Join(p.out, "export") }
func (p paths) card() string    { return filepath.Join(p.out, "export", "README.md") }
func (p paths) results() string { return filepath.Join(p.out, "audit", "results.jsonl") }
func (p paths) eval(name string) string {
	return filepath.Join(p.out, "eval", name)
}

// Run runs the configured stages in order. A stage whose outputs all
// exist and are newer than its inputs (including the config file) is
// skipped unless Force; a failing stage stops the run.
func Run(ctx context.Context, c *Config, o RunOptions) (*Summary, error) {
	if o.Log == nil {
		o.Log = io.Discard
	}
	p := paths{out: c.OutDir()}
	s := &Summary{Config: c.path, Out: p.out}
	// Inputs first, as the CLI does: a missing or unreadable input is
	// named by its key, not as a "prepare input" the guard cannot resolve.
	if err := CheckInputs(c, o); err != nil {
		return s, err
	}
	if err := checkConfigOutputs(c, prepareInputs(c), p.out); err != nil {
		return s, err
	}
	runs := map[string]func(resume bool) (string, error){
		StagePrepare: func(bool) (string, error) { return runPrepare(ctx, c, p, o) },
		StageSynth:   func(bool) (string, error) { return runSynth(ctx, c, p) },
		StageExport:  func(bool) (string, error) { return runExport(ctx, c, p, o) },
		StageAudit:   func(resume bool) (string, error) { return runAudit(ctx, c, p, o, resume) },
		StageEval:    func(bool) (string, error) { return runEval(ctx, c, p, o) },
	}
	last := readStatus(p.out)
	for _, st := range stageFiles(c, p) {
		if !c.has(st.name) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return s, err
		}
		res := StageResult{Stage: st.name, Outputs: st.outputs}
		inputs := append(st.inputs(), c.path)
		fresh := upToDate(inputs, st.outputs)
		if !o.Force && fresh && last[st.name] == StatusRan {
			res.Status, res.Headline = StatusUpToDate, "outputs newer than inputs (use --force to redo)"
			fmt.Fprintf(o.Log, "== %-8s up to date\n", st.name)
			s.Stages = append(s.Stages, res)
			continue
		}
		fmt.Fprintf(o.Log, "== %-8s running\n", st.name)
		start := time.Now()
		// A stage whose last run failed or was partial, on inputs that did
		// not change since, resumes (the audit retries only its errors).
		resume := !o.Force && fresh && (last[st.name] == StatusPartial || last[st.name] == StatusFailed)
		headline, err := runs[st.name](resume)
		res.Seconds = time.Since(start).Seconds()
		var tol toleratedError
		tolerated := errors.As(err, &tol)
		if tolerated {
			err = nil
		}
		last[st.name] = outcome(err)
		if tolerated {
			last[st.name] = StatusPartial // the next run retries what failed
		}
		if werr := last.write(p.out); werr != nil && err == nil {
			err = werr
		}
		if err != nil {
			res.Status, res.Headline = outcome(err), headline
			s.Stages = append(s.Stages, res)
			return s, fmt.Errorf("stage %s %s: %w", st.name, outcome(err), err)
		}
		res.Status, res.Headline = last[st.name], headline
		if st.name == StageEval && imagesEval(c) {
			res.Outputs = append(res.Outputs, p.eval("image_report.json"), p.eval("image_report.md"), p.eval("image_report.html"))
		}
		if st.name == StageExport {
			res.Outputs = append(res.Outputs, p.export())
		}
		fmt.Fprintf(o.Log, "   %-8s %s (%.1f s)\n", st.name, headline, res.Seconds)
		s.Stages = append(s.Stages, res)
	}
	return s, nil
}

// stageIO is a stage's inputs and outputs, by which it is up to date.
type stageIO struct {
	name    string
	inputs  func() []string
	outputs []string
}

// stageFiles lists every stage, in run order, with its inputs and
// outputs.
func stageFiles(c *Config, p paths) []stageIO {
	return []stageIO{
		{StagePrepare, func() []string { return prepareInputs(c) }, []string{p.corpus(), p.report(), p.rejects()}},
		{StageSynth, func() []string { return []string{p.corpus()} }, []string{p.cases()}},
		{StageExport, func() []string { return exportInputs(c, p) }, []string{p.card()}},
		{StageAudit, func() []string { return auditInputs(c, p) }, []string{p.results()}},
		{StageEval, func() []string { return []string{p.corpus(), p.cases(), p.results()} },
			[]string{p.eval("audit_report.json"), p.eval("audit_report.md"), p.eval("audit_report.html")}},
	}
}

// prepareInputs are the prepare stage's input files and folders.
func prepareInputs(c *Config) []string {
	pc := c.Prepare
	in := slices.Concat(c.rels(pc.VinDr), c.rels(pc.VinDrMeta), c.rels(pc.VQA), c.rels(pc.ChestXDet), c.rels(pc.NIHBoxes), c.rels(pc.NIHEntries))
	for _, d := range []string{pc.VinDrImages, pc.ChestXDetImage, pc.NIHImages, pc.HoldoutSource, pc.Labelmap} {
		if d != "" {
			in = append(in, c.rel(d))
		}
	}
	return in
}

// exportInputs are the export stage's inputs, its profile file among them.
func exportInputs(c *Config, p paths) []string {
	in := []string{p.corpus(), p.cases()}
	if isProfileFile(c.Export.Profile) {
		in = append(in, c.profileRef(c.Export.Profile))
	}
	return in
}

// auditInputs are the audit stage's inputs: a re-export (say with
// another profile) makes the audit stale.
func auditInputs(c *Config, p paths) []string {
	in := []string{p.corpus(), p.cases()}
	cfg := auditorConfigFor(c, p)
	if cfg.Contract != "" {
		in = append(in, filepath.Join(cfg.Contract, sftexport.ContractFile))
	}
	if isProfileFile(cfg.Profile) {
		in = append(in, cfg.Profile)
	}
	return in
}

// upToDate reports whether every output exists and no input that exists
// is newer than it.
func upToDate(inputs, outputs []string) bool {
	var newestIn time.Time
	for _, in := range inputs {
		if st, err := os.Stat(in); err == nil && st.ModTime().After(newestIn) {
			newestIn = st.ModTime()
		}
	}
	for _, out := range outputs {
		// As make does: stale only when an input is strictly newer
		// (file times are coarse; equal times are common).
		st, err := os.Stat(out)
		if err != nil || st.ModTime().Before(newestIn) {
			return false
		}
	}
	return true
}

func runPrepare(ctx context.Context, c *Config, p paths, o RunOptions) (string, error) {
	opts, err := prepareOptions(c, p)
	if err != nil {
		return "", err
	}
	opts.Progress, opts.Command = o.Progress, o.Command
	rep, err := dataset.Prepare(ctx, opts)
	if err != nil {
		return "", err
	}
	var parts []string
	for _, sp := range cxrkit.Splits() {
		if sc := rep.Splits[sp]; sc != nil {
			parts = append(parts, fmt.Sprintf("%s %d", sp, sc.Images))
		}
	}
	return fmt.Sprintf("%d images (%s), %d rows rejected (listed in %s)", rep.Images, strings.Join(parts, ", "), rep.RowsRejected, filepath.Base(p.rejects())), nil
}

// prepareOptions are the config's prepare section (decoded over
// dataset.Defaults()) with its paths resolved from the config's folder.
func prepareOptions(c *Config, p paths) (dataset.Options, error) {
	pc := c.Prepare
	opts := pc
	opts.VinDr, opts.VinDrMeta, opts.VQA = c.rels(pc.VinDr), c.rels(pc.VinDrMeta), c.rels(pc.VQA)
	opts.ChestXDet, opts.NIHBoxes, opts.NIHEntries = c.rels(pc.ChestXDet), c.rels(pc.NIHBoxes), c.rels(pc.NIHEntries)
	opts.VinDrImages, opts.ChestXDetImage, opts.NIHImages = relOrEmpty(c, pc.VinDrImages), relOrEmpty(c, pc.ChestXDetImage), relOrEmpty(c, pc.NIHImages)
	opts.Labelmap, opts.HoldoutSource = relOrEmpty(c, pc.Labelmap), relOrEmpty(c, pc.HoldoutSource)
	if opts.HoldoutSource != "" {
		ids, err := dataset.ReadIDList(opts.HoldoutSource)
		if err != nil {
			return opts, err
		}
		opts.HoldoutIDs = ids
	}
	vocab, err := labelmap.LoadFile(opts.Labelmap)
	if err != nil {
		return opts, err
	}
	opts.Vocab = vocab
	opts.Out = filepath.Dir(p.corpus())
	settings, err := yamlSettings(pc)
	if err != nil {
		return opts, err
	}
	opts.Flags = map[string]any{"config": c.path, "prepare": settings}
	return opts, nil
}

func labelmapFor(c *Config, path string) (*labelmap.Vocabulary, error) {
	if path == "" {
		return labelmap.Default()
	}
	return labelmap.LoadFile(c.rel(path))
}

func runSynth(ctx context.Context, c *Config, p paths) (string, error) {
	opts := c.Synth
	opts.Phrases = relOrEmpty(c, opts.Phrases)
	var err error
	if opts.Vocab, err = labelmapFor(c, c.Prepare.Labelmap); err != nil {
		return "", err
	}
	g, err := synth.NewGenerator(opts)
	if err != nil {
		return "", err
	}
	s, err := g.GenerateFile(ctx, p.corpus(), p.cases())
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%d cases from %d images (%d distinct drafts)", s.Total, s.RecordsInSplit, s.DistinctDrafts), nil
}

func relOrEmpty(c *Config, p string) string {
	if p == "" {
		return ""
	}
	return c.rel(p)
}

func runExport(ctx context.Context, c *Config, p paths, o RunOptions) (string, error) {
	opts := c.Export
	opts.Corpus, opts.Out, opts.Progress, opts.Profile = p.corpus(), p.export(), o.Progress, c.profileRef(opts.Profile)
	if c.has(StageSynth) || fileExists(p.cases()) {
		opts.Cases = p.cases()
	}
	s, err := sftexport.Export(ctx, opts)
	if err != nil {
		return "", err
	}
	return s.Headline(), nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func runAudit(ctx context.Context, c *Config, p paths, o RunOptions, resume bool) (string, error) {
	ac := c.Audit
	records, err := cxrkit.LoadJSONL[cxrkit.Record](p.corpus())
	if err != nil {
		return "", err
	}
	cfg := auditorConfigFor(c, p)
	if ac.Grounding == GroundingGold {
		cfg.Gold = records
	}
	a, err := NewAuditor(cfg)
	if err != nil {
		return "", err
	}
	defer a.Close()
	inputs, err := audit.LoadInputs(p.cases(), records, filepath.Dir(p.corpus()), "")
	if err != nil {
		return "", err
	}
	if len(ac.Splits) > 0 {
		inputs = slices.DeleteFunc(inputs, func(in audit.Input) bool { return !slices.Contains(ac.Splits, in.Split) })
	}
	if !resume {
		// The inputs changed (or --force): results of an earlier run are
		// stale. A resumed run keeps them and retries only the errored.
		if err := os.Remove(p.results()); err != nil && !errors.Is(err, os.ErrNotExist) {
			return "", err
		}
	}
	conc := ac.Concurrency
	var progress func(int, int)
	if o.Progress != nil {
		progress = func(d, t int) { o.Progress("auditing", d, t) }
	}
	if !cfg.NoPreflight {
		if err := a.Preflight(ctx); err != nil {
			return "", err
		}
	}
	s, err := a.Auditor.RunBatch(ctx, inputs, audit.BatchOptions{Out: p.results(), Concurrency: conc, Progress: progress})
	if err != nil {
		return "", err
	}
	if s.ErrorRate() > ac.MaxErrorRate {
		return fmt.Sprintf("%d cases audited, %d errors (%.1f%% > max_error_rate %.1f%%)", s.Audited, s.Errors, 100*s.ErrorRate(), 100*ac.MaxErrorRate),
			fmt.Errorf("%w (error rate %.3f > max_error_rate %.3f)", s.Partial(), s.ErrorRate(), ac.MaxErrorRate)
	}
	g := fmt.Sprintf("grounding ok %d / salvaged %d / failed %d", s.GroundingOK, s.Salvaged, s.Failed)
	if s.Gold > 0 {
		g = fmt.Sprintf("gold grounding %d", s.Gold)
	}
	parser := cmp.Or(ac.DraftParser, DraftParserRules)
	headline := fmt.Sprintf("%d cases audited (%s, %s draft parser), %d errors", s.Audited, g, parser, s.Errors)
	if err := s.Partial(); err != nil {
		// Within max_error_rate: the run goes on, the errors are retried next time.
		return headline, toleratedError{err}
	}
	return headline, nil
}

// toleratedError is a stage's partial outcome within its limits (audit
// errors at or below max_error_rate): the run goes on, and the stage is
// recorded partial so that the next run retries what failed.
type toleratedError struct{ err error }

func (e toleratedError) Error() string { return e.err.Error() }
func (e toleratedError) Unwrap() error { return e.err }

// auditorConfigFor is the audit section's AuditorConfig (gold records
// aside) with its paths resolved. With neither audit.profile nor
// audit.contract, the model is audited as it was exported: with the
// contract of this run's export stage, or without one, with
// export.profile. Under a contract, the profile and image size the file
// leaves out are the contract's.
func auditorConfigFor(c *Config, p paths) AuditorConfig {
	cfg := c.Audit.AuditorConfig
	cfg.PromptGrounding, cfg.PromptDraft = relOrEmpty(c, cfg.PromptGrounding), relOrEmpty(c, cfg.PromptDraft)
	cfg.DraftRules, cfg.DraftSystemPrompt = relOrEmpty(c, cfg.DraftRules), relOrEmpty(c, cfg.DraftSystemPrompt)
	cfg.Labelmap, cfg.Contract, cfg.Profile = relOrEmpty(c, c.Prepare.Labelmap), relOrEmpty(c, cfg.Contract), c.profileRef(cfg.Profile)
	if !c.set["audit.profile"] && !c.set["audit.contract"] {
		if c.has(StageExport) {
			cfg.Contract = p.export()
		} else {
			cfg.Profile = c.profileRef(c.Export.Profile)
		}
	}
	if env := c.Audit.APIKeyEnv; env != "" {
		cfg.APIKey = os.Getenv(env)
	}
	return cfg.DeferToContract(func(key string) bool { return c.set["audit."+key] })
}

func imagesEval(c *Config) bool { return c.Eval.Images }

func runEval(ctx context.Context, c *Config, p paths, o RunOptions) (string, error) {
	cases, err := eval.LoadCases(p.cases())
	if err != nil {
		return "", err
	}
	// As eval loads them: checked, and a retried case's complete result
	// standing over its failed one.
	results, lines, err := eval.LoadResultsRead(p.results())
	if err != nil {
		return "", err
	}
	prov := cxrkit.NewProvenance(o.Command, c.Eval.Seed, c.Audit.Splits...)
	// The config decides every stage: its bytes are part of the record
	// (rows 0: it is not a table).
	if err := prov.AddInput(ctx, "config", c.path, 0); err != nil {
		return "", err
	}
	if err := prov.AddInput(ctx, "synth cases", p.cases(), len(cases)); err != nil {
		return "", err
	}
	if err := prov.AddInput(ctx, "audit results", p.results(), lines); err != nil {
		return "", err
	}
	prov.Drop("audit results", eval.Superseded, lines-len(results))
	// Score what the audit stage audited: its splits only.
	inSplits := func(split cxrkit.Split) bool {
		return len(c.Audit.Splits) == 0 || slices.Contains(c.Audit.Splits, split)
	}
	read := len(cases)
	cases = slices.DeleteFunc(cases, func(cs cxrkit.Case) bool { return !inSplits(cs.Split) })
	prov.Drop("synth cases", "outside audit.splits", read-len(cases))
	ar := eval.EvaluateAudit(cases, results)
	ar.Provenance = prov
	title := "cxrkit audit-layer evaluation (" + filepath.Base(c.path) + ")"
	if err := writeReport(p.eval("audit_report"), ar, func(w io.Writer) error { return ar.WriteMarkdown(w, title) },
		func(w io.Writer) error { return ar.WriteHTML(w, title) }); err != nil {
		return "", err
	}
	all := ar.Overall()
	var flags []string
	for _, k := range ar.Flags.Keys {
		flags = append(flags, fmt.Sprintf("%s F1 %s", k, fmtF(ar.Flags.Values[k].F1)))
	}
	headline := fmt.Sprintf("audit exact match %s (%d/%d cases); %s", fmtF(all.Accuracy), all.Correct, all.N, strings.Join(flags, ", "))
	if !imagesEval(c) {
		return headline, nil
	}
	gold, err := cxrkit.LoadJSONL[cxrkit.Record](p.corpus())
	if err != nil {
		return "", err
	}
	iprov := *prov
	iprov.Inputs = slices.Clone(prov.Inputs)
	if err := iprov.AddInput(ctx, "prepare corpus", p.corpus(), len(gold)); err != nil {
		return "", err
	}
	// Images that have cases in the audited splits.
	withCases := map[string]bool{}
	for _, cs := range cases {
		withCases[string(cs.Source)+":"+cs.ImageID] = true
	}
	read = len(gold)
	gold = slices.DeleteFunc(gold, func(r cxrkit.Record) bool { return !withCases[r.Key()] })
	iprov.Drop("prepare corpus", "no case in the audited splits", read-len(gold))
	vocab, err := labelmapFor(c, c.Prepare.Labelmap)
	if err != nil {
		return "", err
	}
	iopts := c.Eval.ImageOptions
	iopts.Urgent = vocab.Urgent()
	d, err := eval.NewDataset(gold, results, iopts)
	if err != nil {
		return "", err
	}
	ir := eval.Evaluate(d, iopts)
	ir.Provenance = &iprov
	ititle := "cxrkit grounding evaluation (" + filepath.Base(c.path) + ")"
	if err := writeReport(p.eval("image_report"), ir, func(w io.Writer) error { return ir.WriteMarkdown(w, ititle) },
		func(w io.Writer) error { return ir.WriteHTML(w, ititle) }); err != nil {
		return "", err
	}
	note := ""
	if c.Audit.Grounding == GroundingGold {
		note = " (gold grounding: perfect by construction)"
	}
	return headline + fmt.Sprintf("; grounding macro F1 %s%s over %d images, %d without a prediction", fmtF(ir.Presence.MacroF1), note, ir.NImages, ir.MissingPredictions), nil
}

func fmtF(v *float64) string {
	if v == nil {
		return "n/a"
	}
	return fmt.Sprintf("%.3f", *v)
}

// writeReport writes base.json, base.md and base.html atomically.
func writeReport(base string, v any, md, html func(io.Writer) error) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	for _, f := range []struct {
		ext   string
		write func(io.Writer) error
	}{
		{".json", func(w io.Writer) error { _, err := w.Write(append(data, '\n')); return err }},
		{".md", md}, {".html", html},
	} {
		if err := cxrkit.WriteFileAtomic(base+f.ext, func(w *bufio.Writer) error { return f.write(w) }); err != nil {
			return err
		}
	}
	return nil
}

// checkConfigOutputs refuses a run whose out folder is, contains or is
// inside one of the config's inputs (the config file included).
func checkConfigOutputs(c *Config, prepareInputs []string, out string) error {
	ins := []cxrkit.PathFlag{{Flag: "config", Path: c.path}}
	for _, in := range prepareInputs {
		ins = append(ins, cxrkit.PathFlag{Flag: "prepare input", Path: in})
	}
	for _, x := range []struct{ key, path string }{{"synth.phrases", c.Synth.Phrases},
		{"audit.prompt_grounding", c.Audit.PromptGrounding}, {"audit.prompt_draft", c.Audit.PromptDraft}} {
		if x.path != "" {
			ins = append(ins, cxrkit.PathFlag{Flag: x.key, Path: c.rel(x.path)})
		}
	}
	for _, x := range []struct{ key, ref string }{{"export.profile", c.Export.Profile}, {"audit.profile", c.Audit.Profile}} {
		if isProfileFile(x.ref) {
			ins = append(ins, cxrkit.PathFlag{Flag: x.key, Path: c.profileRef(x.ref)})
		}
	}
	return cxrkit.CheckOutputs(ins, []cxrkit.PathFlag{{Flag: "out", Path: out}})
}
