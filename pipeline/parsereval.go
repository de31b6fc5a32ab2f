package pipeline

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/audit"
	"github.com/cxrkit/cxrkit/configs"
	"github.com/cxrkit/cxrkit/dataset"
	"github.com/cxrkit/cxrkit/eval"
	"github.com/cxrkit/cxrkit/infer"
	"github.com/cxrkit/cxrkit/labelmap"
)

// LLMRule is the rule id of a finding read by the LLM draft parser.
const LLMRule = "llm"

// ParserEvalOptions configure scoring a draft parser on IU-Xray reports.
type ParserEvalOptions struct {
	Parser DraftParser `yaml:"draft_parser"`
	Rules  string      `yaml:"draft_rules"` // rules lexicon (default: the embedded one)
	// The LLM parser's OpenAI-compatible endpoint and model.
	Endpoint    string        `yaml:"draft_endpoint"`
	Model       string        `yaml:"draft_model"`
	APIKey      string        `yaml:"-"`
	PromptDraft string        `yaml:"prompt_draft"`
	Timeout     time.Duration `yaml:"timeout"`
	Retries     int           `yaml:"retries"`
	MaxTokens   int           `yaml:"max_tokens"`
	Seed        int           `yaml:"seed"`
	// Concurrency is how many reports the LLM reads at once.
	Concurrency int `yaml:"concurrency"`
	// UncertainAs is how hedged statements are scored, as in the audit
	// ("" is present); the default is absent, as IU's indexers read them.
	UncertainAs UncertainAs `yaml:"uncertain_as"`
	// NoPreflight skips checking the LLM endpoint (GET /v1/models:
	// reachable, model served) before the first report is read.
	NoPreflight bool `yaml:"no_preflight"`
}

// ParserEvalDefaults are the defaults of ParserEvalOptions.
func ParserEvalDefaults() ParserEvalOptions {
	cd := infer.ClientDefaults()
	return ParserEvalOptions{Parser: DraftParserRules, Timeout: cd.Timeout, Retries: cd.Retries,
		MaxTokens: infer.DefaultDraftMaxTokens, Concurrency: 4, UncertainAs: UncertainAbsent}
}

// ParserEvalSummary counts the reports not scored and the LLM readings
// that failed (scored as saying nothing).
type ParserEvalSummary struct {
	Skipped int   // no MeSH indexing or no text
	Failed  int   // LLM transport errors or unparseable answers
	Read    int   // reports read
	First   error // the first failed reading
}

// Partial is nil when every reading succeeded, else a cxrkit.ErrPartial
// naming the failures: the report is written, but scores some reports as
// silent.
func (s ParserEvalSummary) Partial() error {
	if s.Failed == 0 {
		return nil
	}
	return fmt.Errorf("%w: draft parser llm: %d of %d readings failed (scored as silent); the first: %v", cxrkit.ErrPartial, s.Failed, s.Read, s.First)
}

// ScoreParserOnIU scores a draft parser on IU-Xray reports against their
// MeSH labels. Reports without indexing or without text are skipped and
// counted. With the LLM parser a failed reading is scored as an empty one
// and counted; if every reading fails, that is an error.
func ScoreParserOnIU(ctx context.Context, reportsPath string, vocab *labelmap.Vocabulary, o ParserEvalOptions) (eval.ParserReport, ParserEvalSummary, error) {
	var sum ParserEvalSummary
	hedges, err := ParseUncertainAs(string(o.UncertainAs))
	if err != nil {
		return eval.ParserReport{}, sum, fmt.Errorf("uncertain-as %w", err)
	}
	var reports []dataset.IUReport
	err = dataset.ReadIUReports(ctx, reportsPath, func(r dataset.IUReport) error {
		if !r.Indexed() || r.Text() == "" {
			sum.Skipped++
			return nil
		}
		reports = append(reports, r)
		return nil
	})
	if err != nil {
		return eval.ParserReport{}, sum, err
	}
	items := make([]eval.ParserItem, len(reports))
	for i, r := range reports {
		items[i] = eval.ParserItem{ID: r.UID, Gold: r.Labels(vocab), Rules: map[labelmap.Label]string{}}
	}
	switch o.Parser {
	case "", DraftParserRules:
		p, err := audit.NewRulesParser(o.Rules)
		if err != nil {
			return eval.ParserReport{}, sum, err
		}
		for i, r := range reports {
			for _, d := range p.Explain(r.Text()) {
				items[i].Rules[d.Label] = d.Rule
				if d.Status != "" {
					items[i].Pred = append(items[i].Pred, cxrkit.DraftFinding{Label: d.Label, Status: d.Status, Span: d.Span})
				}
			}
		}
	case DraftParserLLM:
		dm, client, err := newEvalDraftModel(vocab, o)
		if err != nil {
			return eval.ParserReport{}, sum, err
		}
		if !o.NoPreflight {
			if err := client.Preflight(ctx); err != nil {
				return eval.ParserReport{}, sum, err
			}
		}
		sum.Read = len(items)
		if sum.Failed, sum.First, err = readWithLLM(ctx, dm, reports, items, o.Concurrency); err != nil {
			return eval.ParserReport{}, sum, err
		}
		if len(items) > 0 && sum.Failed == len(items) {
			return eval.ParserReport{}, sum, fmt.Errorf("draft parser llm: all %d readings failed; the first: %w", sum.Failed, sum.First)
		}
	default:
		_, err := ParseDraftParser(string(o.Parser))
		return eval.ParserReport{}, sum, fmt.Errorf("draft parser %w", err)
	}
	rep := eval.ScoreParser(items, hedges == UncertainAbsent)
	rep.Parser, rep.ParseFailures = string(cmp.Or(o.Parser, DraftParserRules)), sum.Failed
	return rep, sum, nil
}

func newEvalDraftModel(vocab *labelmap.Vocabulary, o ParserEvalOptions) (*infer.DraftModel, *infer.Client, error) {
	if o.Endpoint == "" || o.Model == "" {
		return nil, nil, invalid("draft parser llm needs a draft endpoint and a draft model")
	}
	if o.Concurrency < 1 {
		return nil, nil, invalid("concurrency %d: want 1 or more", o.Concurrency)
	}
	client, err := infer.NewClient(infer.ClientOptions{Endpoints: []string{o.Endpoint}, Model: o.Model, APIKey: o.APIKey,
		Timeout: o.Timeout, Retries: clientRetries(o.Retries)})
	if err != nil {
		return nil, nil, err
	}
	prompt, err := configs.LoadPrompt(configs.PromptDraftParse, o.PromptDraft)
	if err != nil {
		return nil, nil, err
	}
	// One attempt per report: the score is of the model's own answer,
	// not of the audit's retry ladder.
	dm, err := infer.NewDraftModel(infer.DraftModelOptions{Chat: client, Prompt: prompt, Vocab: vocab, MaxTokens: o.MaxTokens, Seed: o.Seed, Attempts: 1})
	if err != nil {
		return nil, nil, invalid("%v", err)
	}
	return dm, client, nil
}

// readWithLLM reads every report with the model, concurrency at a time,
// into items (in report order) and returns how many readings failed and
// the first failure. It stops early only when ctx ends.
func readWithLLM(ctx context.Context, dm *infer.DraftModel, reports []dataset.IUReport, items []eval.ParserItem, concurrency int) (int, error, error) {
	next := make(chan int)
	failed := make([]error, len(reports))
	var wg sync.WaitGroup
	for range min(concurrency, max(len(reports), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				r, err := dm.ReadDraft(ctx, reports[i].Text())
				if err == nil && r.Status == cxrkit.ParseFailed {
					err = errUnreadableAnswer
				}
				if err != nil {
					failed[i] = fmt.Errorf("report %s: %w", reports[i].UID, err)
					continue
				}
				items[i].Pred = r.Findings
				for _, f := range r.Findings {
					items[i].Rules[f.Label] = LLMRule
				}
			}
		}()
	}
	var err error
feed:
	for i := range reports {
		select {
		case next <- i:
		case <-ctx.Done():
			err = ctx.Err()
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err != nil {
		return 0, nil, fmt.Errorf("draft parser llm: %w", err)
	}
	n := 0
	var first error
	for _, f := range failed {
		if f != nil {
			n++
			first = cmp.Or(first, f)
		}
	}
	return n, first, nil
}

// errUnreadableAnswer is a model answer with no draft findings to salvage.
var errUnreadableAnswer = errors.New("unparseable model answer")
