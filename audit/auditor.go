package audit

import (
	"context"
	"errors"
	"fmt"

	"github.com/cxrkit/cxrkit"
)

// Grounder says what an image shows: a model behind an endpoint, or the
// corpus's own findings (gold grounding).
type Grounder interface {
	Ground(ctx context.Context, img cxrkit.ImageRef) (cxrkit.Grounding, error)
}

// DraftReader says what a draft claims: the rules parser or a model.
type DraftReader interface {
	ReadDraft(ctx context.Context, text string) (cxrkit.DraftReading, error)
}

// ReadDraft makes the rules parser a DraftReader; it fails only when ctx
// is done (a request's deadline). The caller gets its answer at the
// deadline even if parsing is still running, and the parse itself stops
// within a few thousand bytes of the deadline (ParseContext).
func (p *RulesParser) ReadDraft(ctx context.Context, text string) (cxrkit.DraftReading, error) {
	if err := ctx.Err(); err != nil {
		return cxrkit.DraftReading{Status: cxrkit.ParseFailed}, err
	}
	type parsed struct {
		fs    []cxrkit.DraftFinding
		panic any
	}
	done := make(chan parsed, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- parsed{panic: r}
			}
		}()
		fs, err := p.ParseContext(ctx, text)
		if err != nil {
			return // ctx is done: the select below answers
		}
		done <- parsed{fs: fs}
	}()
	select {
	case r := <-done:
		if r.panic != nil {
			return cxrkit.DraftReading{Status: cxrkit.ParseFailed}, fmt.Errorf("rules parser: internal error: %v", r.panic)
		}
		return cxrkit.DraftReading{Findings: r.fs, Status: cxrkit.ParseRules}, nil
	case <-ctx.Done():
		return cxrkit.DraftReading{Status: cxrkit.ParseFailed}, fmt.Errorf("reading the draft: %w", ctx.Err())
	}
}

// GoldGrounder answers with the corpus findings of the image: it measures
// the draft parser and comparator with no model and no GPU.
type GoldGrounder struct {
	findings map[string][]cxrkit.Finding // by source:image_id
	keys     map[string][]string         // image_id → source:image_id keys
}

// NewGoldGrounder indexes corpus records by source:image_id.
func NewGoldGrounder(records []cxrkit.Record) *GoldGrounder {
	g := &GoldGrounder{findings: make(map[string][]cxrkit.Finding, len(records)), keys: make(map[string][]string, len(records))}
	for _, r := range records {
		g.findings[r.Key()] = r.Findings
		g.keys[r.ImageID] = append(g.keys[r.ImageID], r.Key())
	}
	return g
}

// ErrNotInCorpus is returned for an image gold grounding does not know.
var ErrNotInCorpus = errors.New("image not in the corpus")

// Ground returns the corpus findings.
func (g *GoldGrounder) Ground(_ context.Context, img cxrkit.ImageRef) (cxrkit.Grounding, error) {
	fs, ok := g.findings[img.Key()]
	if !ok && img.Source == "" {
		// A case without a source matches by image id when that is unique.
		switch keys := g.keys[img.ImageID]; len(keys) {
		case 0:
		case 1:
			fs, ok = g.findings[keys[0]]
		default:
			return cxrkit.Grounding{}, fmt.Errorf("%w: image_id %q is in several sources; give source", ErrNotInCorpus, img.ImageID)
		}
	}
	if !ok {
		return cxrkit.Grounding{}, fmt.Errorf("%w: %s", ErrNotInCorpus, img.Key())
	}
	return cxrkit.Grounding{Findings: fs, Status: cxrkit.ParseGold}, nil
}

// Fallback reads drafts with a model and falls back to the rules parser
// when the model fails or answers nothing readable, saying so.
type Fallback struct {
	Model DraftReader
	Rules *RulesParser
	// Strict returns the model's transport errors instead of covering
	// them with the rules (batch files: the request is resubmitted).
	Strict bool
}

// ReadDraft tries the model, then the rules.
func (f Fallback) ReadDraft(ctx context.Context, text string) (cxrkit.DraftReading, error) {
	r, err := f.Model.ReadDraft(ctx, text)
	if err == nil && r.Status != cxrkit.ParseFailed {
		return r, nil
	}
	if err != nil && f.Strict {
		return r, err
	}
	why := "its answer could not be parsed"
	if err != nil {
		why = err.Error()
	}
	rules, _ := f.Rules.ReadDraft(ctx, text)
	rules.Raw, rules.Fallback = r.Raw, "draft model failed: "+why
	rules.Notes = append(r.Notes, "draft model failed ("+why+"); used the rules parser")
	return rules, nil
}

// Auditor judges drafts against images.
type Auditor struct {
	Grounder Grounder
	Drafts   DraftReader
	Compare  CompareOptions
	// Prompts maps prompt name to sha256, recorded in every result.
	Prompts map[string]string
}

// Input is one case to audit.
type Input struct {
	CaseID    string
	DraftText string
	Image     cxrkit.ImageRef
	// Split is the case's split, for callers that audit only some.
	Split cxrkit.Split
}

// Audit runs one case and always returns a result. A result has a
// verdict (Audit) only when both the image and the draft were read: a
// transport failure, an unreadable image or an answer that could not be
// parsed sets Error and leaves Audit nil, never an empty (all-clear) one.
func (a *Auditor) Audit(ctx context.Context, in Input) cxrkit.Result {
	res, _ := a.Run(ctx, in)
	return res
}

// Run is Audit that also returns the cause of the result's error, so a
// caller can tell a client's mistake (an unreadable image, an image not
// in the corpus) from an endpoint's failure with errors.Is and errors.As.
func (a *Auditor) Run(ctx context.Context, in Input) (res cxrkit.Result, cause error) {
	res = cxrkit.Result{CaseID: in.CaseID, ImageID: in.Image.ImageID, Source: in.Image.Source,
		ImageFindings: []cxrkit.Finding{}, DraftFindings: []cxrkit.DraftFinding{},
		BoxFormat: cxrkit.BoxFormat, Disclaimer: cxrkit.Disclaimer, Prompts: a.Prompts,
		Parse: cxrkit.Parse{Grounding: cxrkit.ParseFailed, Draft: cxrkit.ParseFailed}}
	setError := func(err error) {
		if res.Error == nil {
			msg := err.Error()
			res.Error, cause = &msg, err
		}
	}
	defer func() {
		if p := recover(); p != nil {
			res.Audit = nil
			cause = fmt.Errorf("internal error: %v", p)
			msg := cause.Error()
			res.Error = &msg
		}
	}()
	draft, err := a.Drafts.ReadDraft(ctx, in.DraftText)
	if err != nil {
		setError(err)
	}
	res.Parse.Draft, res.RawDraft, res.Parse.DraftFallback = draft.Status, draft.Raw, draft.Fallback
	res.Notes = append(res.Notes, draft.Notes...)
	if draft.Findings != nil {
		res.DraftFindings = draft.Findings
	}
	if err := ctx.Err(); err != nil {
		setError(fmt.Errorf("reading the draft: %w", err))
		return res, cause
	}
	findings, err := a.groundInto(ctx, in, &res)
	if errors.Is(err, ErrGroundingUnreadable) {
		setError(fmt.Errorf("%w; audit not computed", err))
		return res, cause
	}
	if err != nil {
		res.Error, cause = nil, nil
		setError(err)
		return res, cause
	}
	if res.Parse.Draft == cxrkit.ParseFailed {
		setError(errors.New("the draft could not be read; audit not computed"))
		return res, cause
	}
	if res.Error != nil {
		return res, cause
	}
	verdict := Compare(findings, res.DraftFindings, a.Compare)
	res.Audit = &verdict
	return res, nil
}

// ErrGroundingUnreadable reports a model answer about the image that could
// not be parsed.
var ErrGroundingUnreadable = errors.New("the grounding answer could not be parsed")

// ReadImage grounds the image of in and ignores its draft: an image-only
// reading with findings and no verdict. Its Audit is nil and its draft
// parse is cxrkit.ParseNone, so no reader takes it for a clean draft.
// cause is non-nil when the image could not be read, as for Run.
func (a *Auditor) ReadImage(ctx context.Context, in Input) (res cxrkit.Result, cause error) {
	res = cxrkit.Result{CaseID: in.CaseID, ImageID: in.Image.ImageID, Source: in.Image.Source,
		ImageFindings: []cxrkit.Finding{}, DraftFindings: []cxrkit.DraftFinding{},
		BoxFormat: cxrkit.BoxFormat, Disclaimer: cxrkit.Disclaimer, Prompts: a.Prompts,
		Parse: cxrkit.Parse{Grounding: cxrkit.ParseFailed, Draft: cxrkit.ParseNone},
		Notes: []string{"image-only reading: no draft was given, so nothing was audited"}}
	setError := func(err error) {
		msg := err.Error()
		res.Error, cause = &msg, err
	}
	defer func() {
		if p := recover(); p != nil {
			setError(fmt.Errorf("internal error: %v", p))
		}
	}()
	if _, err := a.groundInto(ctx, in, &res); err != nil {
		setError(err)
		return res, cause
	}
	return res, nil
}

// groundInto asks the grounder about in's image and records the reading
// (attempts, raw answer, model, notes, parse status, findings) on res. The
// error is the transport failure, or ErrGroundingUnreadable when no answer
// could be parsed; either way the image was not read.
func (a *Auditor) groundInto(ctx context.Context, in Input, res *cxrkit.Result) ([]cxrkit.Finding, error) {
	g, err := a.Grounder.Ground(ctx, in.Image)
	res.Attempts, res.RawGrounding, res.Model = g.Attempts, g.Raw, g.Model
	res.Notes = append(res.Notes, g.Notes...)
	if err != nil {
		return nil, err
	}
	res.Parse.Grounding = g.Status
	if g.Status == cxrkit.ParseFailed {
		return nil, fmt.Errorf("%w after %d attempts", ErrGroundingUnreadable, g.Attempts)
	}
	res.ImageFindings = g.Findings
	return g.Findings, nil
}
