package main

import (
	"encoding/json"
	"os"
	"time"

	"github.com/cxrkit/cxrkit/audit"
	"github.com/cxrkit/cxrkit/configs"
	"github.com/cxrkit/cxrkit/infer"
	"github.com/cxrkit/cxrkit/labelmap"
	"github.com/urfave/cli/v2"
)

// auditFlags are the flags shared by audit and serve: endpoints, models,
// prompts, draft parser, comparator.
func auditFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringSliceFlag{Name: "endpoint", Usage: "OpenAI-compatible base URL of the grounding model (vLLM, SGLang, llama.cpp), e.g. http://gpu:8000/v1; repeat to share the load"},
		&cli.StringFlag{Name: "model", Usage: "grounding model name as the server knows it"},
		&cli.StringFlag{Name: "api-key", Usage: "API key (default $CXRKIT_API_KEY, else $OPENAI_API_KEY); never logged"},
		&cli.DurationFlag{Name: "timeout", Value: time.Minute, Usage: "timeout of one HTTP attempt (Go duration)"},
		&cli.IntFlag{Name: "retries", Value: 4, Usage: "transport retries on 429, 5xx, dropped connections and timeouts"},
		&cli.IntFlag{Name: "image-max-side", Value: 896, Usage: "downscale images so their long side is at most this"},
		&cli.IntFlag{Name: "max-tokens", Value: 512, Usage: "max_tokens of each request"},
		&cli.IntFlag{Name: "seed", Usage: "seed sent with each request"},
		&cli.BoolFlag{Name: "structured", Usage: "send a JSON-schema response_format (guided decoding)"},
		&cli.StringFlag{Name: "box-scale", Value: "auto", Usage: "how the model writes boxes: auto, unit (0-1), 1000 (0-1000 grid) or pixel"},
		&cli.StringFlag{Name: "extra-body", Usage: `JSON object merged into every request body, e.g. '{"top_k": 1}'`},
		&cli.StringFlag{Name: "prompt-grounding", Usage: "grounding prompt file overriding configs/prompts/grounding.txt"},
		&cli.StringFlag{Name: "draft-parser", Value: "rules", Usage: "rules (deterministic, no model) or llm"},
		&cli.StringFlag{Name: "draft-endpoint", Usage: "endpoint of the draft-parsing model (--draft-parser llm)"},
		&cli.StringFlag{Name: "draft-model", Usage: "draft-parsing model name, e.g. a Nemotron-3 Nano 4B"},
		&cli.StringFlag{Name: "prompt-draft", Usage: "draft prompt file overriding configs/prompts/draft_parse.txt"},
		&cli.StringFlag{Name: "draft-rules", Usage: "rules parser lexicon overriding configs/draft_rules.yaml"},
		&cli.StringFlag{Name: "uncertain-as", Value: "present", Usage: "hedged draft statements count as present or absent"},
		&cli.StringFlag{Name: "urgent", Usage: "urgent whitelist, comma-separated (default from the label map)"},
		labelmapFlag,
	}
}

// auditSetup is what audit and serve build from the shared flags.
type auditSetup struct {
	auditor  *audit.Auditor
	vocab    *labelmap.Vocabulary
	grounder *infer.Grounder
	client   *infer.Client
	closers  []func()
}

func (s *auditSetup) close() {
	for _, f := range s.closers {
		f()
	}
}

func apiKey(c *cli.Context) string {
	if k := c.String("api-key"); k != "" {
		return k
	}
	if k := os.Getenv("CXRKIT_API_KEY"); k != "" {
		return k
	}
	return os.Getenv("OPENAI_API_KEY")
}

func extraBody(c *cli.Context) (map[string]any, error) {
	s := c.String("extra-body")
	if s == "" {
		return nil, nil
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return nil, usagef("--extra-body: want a JSON object: %v", err)
	}
	return m, nil
}

// chatter builds the grounding model's client, or, for batch files, the
// recorder or the batch answers in its place.
type chatterFor func(model string, extra map[string]any) (infer.Chatter, error)

func newAuditSetup(c *cli.Context, gold *audit.GoldGrounder, grounding chatterFor, cache infer.Cache) (*auditSetup, error) {
	s := &auditSetup{}
	var err error
	if s.vocab, err = labelmap.LoadFile(c.String("labelmap")); err != nil {
		return nil, err
	}
	if u := c.String("urgent"); u != "" {
		var ls []labelmap.Label
		for _, name := range splitList(u) {
			l, ok := s.vocab.Normalize(name)
			if !ok {
				return nil, usagef("--urgent: unknown label %q", name)
			}
			ls = append(ls, l)
		}
		if s.vocab, err = s.vocab.WithUrgent(ls); err != nil {
			return nil, usageError{err}
		}
	}
	unc := c.String("uncertain-as")
	if unc != "present" && unc != "absent" {
		return nil, usagef("--uncertain-as %q: want present or absent", unc)
	}
	extra, err := extraBody(c)
	if err != nil {
		return nil, err
	}
	scale, err := infer.ParseBoxScale(c.String("box-scale"))
	if err != nil {
		return nil, err
	}
	rules, err := audit.NewRulesParser(c.String("draft-rules"))
	if err != nil {
		return nil, err
	}
	prompts := map[string]string{}
	s.auditor = &audit.Auditor{Drafts: rules, Prompts: prompts,
		Compare: audit.CompareOptions{Urgent: s.vocab.Urgent(), UncertainAsAbsent: unc == "absent"}}
	clientOpts := func(endpoints []string, model string) infer.ClientOptions {
		return infer.ClientOptions{Endpoints: endpoints, Model: model, APIKey: apiKey(c), Timeout: c.Duration("timeout"),
			Retries: c.Int("retries"), ExtraBody: extra, Cache: cache}
	}
	switch c.String("draft-parser") {
	case "rules":
	case "llm":
		if c.String("draft-endpoint") == "" || c.String("draft-model") == "" {
			return nil, usagef("--draft-parser llm needs --draft-endpoint and --draft-model")
		}
		dc, err := infer.NewClient(clientOpts([]string{c.String("draft-endpoint")}, c.String("draft-model")))
		if err != nil {
			return nil, err
		}
		prompt, err := configs.LoadPrompt(configs.PromptDraftParse, c.String("prompt-draft"))
		if err != nil {
			return nil, err
		}
		dm, err := infer.NewDraftModel(infer.DraftModelOptions{Chat: dc, Prompt: prompt, Vocab: s.vocab, MaxTokens: c.Int("max-tokens"), Seed: c.Int("seed")})
		if err != nil {
			return nil, usageError{err}
		}
		s.auditor.Drafts = audit.Fallback{Model: dm, Rules: rules}
		prompts[configs.PromptDraftParse] = prompt.SHA256
	default:
		return nil, usagef("--draft-parser %q: want rules or llm", c.String("draft-parser"))
	}
	if gold != nil {
		s.auditor.Grounder = gold
		return s, nil
	}
	if c.String("model") == "" {
		return nil, usagef("give --model (the grounding model's name) or --grounding gold --corpus F")
	}
	var chat infer.Chatter
	if grounding != nil {
		if chat, err = grounding(c.String("model"), extra); err != nil {
			return nil, err
		}
	} else {
		if len(c.StringSlice("endpoint")) == 0 {
			return nil, usagef("give --endpoint URL (e.g. http://gpu:8000/v1) or --grounding gold --corpus F")
		}
		if s.client, err = infer.NewClient(clientOpts(c.StringSlice("endpoint"), c.String("model"))); err != nil {
			return nil, err
		}
		chat = s.client
	}
	prompt, err := configs.LoadPrompt(configs.PromptGrounding, c.String("prompt-grounding"))
	if err != nil {
		return nil, err
	}
	attempts := 3
	if grounding != nil {
		attempts = 1 // batch files hold one attempt per request
	}
	s.grounder, err = infer.NewGrounder(infer.GrounderOptions{Chat: chat, Prompt: prompt, Vocab: s.vocab,
		MaxSide: c.Int("image-max-side"), MaxTokens: c.Int("max-tokens"), Seed: c.Int("seed"),
		Structured: c.Bool("structured"), Scale: scale, Attempts: attempts})
	if err != nil {
		return nil, err
	}
	s.auditor.Grounder = s.grounder
	prompts[configs.PromptGrounding] = prompt.SHA256
	return s, nil
}
