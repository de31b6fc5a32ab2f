package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/cxrkit/cxrkit/infer"
	"github.com/cxrkit/cxrkit/pipeline"
	"github.com/urfave/cli/v2"
)

// auditFlags are the flags shared by audit and serve: endpoints, models,
// prompts, draft parser, comparator.
func auditFlags() []cli.Flag {
	d := pipeline.AuditorDefaults()
	return slices.Concat([]cli.Flag{
		&cli.Int64Flag{Name: "max-pixels", Value: d.MaxPixels, Usage: "refuse images whose header declares more pixels than this, before decoding"},
		&cli.Int64Flag{Name: "max-image-mb", Value: d.MaxImageMB, Usage: "largest image file, and decoding memory for one image, in MiB; a larger image is refused before it is read"},
		&cli.IntFlag{Name: "max-response-mb", Value: d.MaxResponseMB, Usage: "largest endpoint answer read; a longer one is that case's error"},
		&cli.StringFlag{Name: "profile", Value: d.Profile, Usage: "model profile: cxrkit (what export trains on), medgemma-native (Google's conventions: 0-1000 boxes, image padded to a square), or a profile .yaml file"},
		&cli.StringFlag{Name: "contract", Value: d.Contract, Usage: "export folder whose contract.json gives the profile, prompts and image size the model was trained with; contradicting flags are refused"},
		&cli.BoolFlag{Name: "allow-mismatch", Value: d.AllowMismatch, Usage: "with --contract: warn about contradicting flags instead of refusing them"},
		&cli.BoolFlag{Name: "structured-wrapper", Usage: `with --structured: send the schema under {"findings": [...]} for servers that need an object at the top (the default is the trained bare array)`},
		&cli.StringSliceFlag{Name: "endpoint", Usage: "OpenAI-compatible base URL of the grounding model (vLLM, SGLang, llama.cpp), e.g. http://gpu:8000/v1; repeat to share the load"},
		&cli.StringFlag{Name: "model", Usage: "grounding model name as the server knows it"},
	}, endpointFlags("", d.Timeout, d.Retries), []cli.Flag{
		&cli.IntFlag{Name: "image-max-side", Value: d.MaxSide, Usage: "downscale images so their long side is at most this"},
		&cli.BoolFlag{Name: "server-resizes", Usage: "send PNG/JPEG files as they are, unscaled: the endpoint's image processor resizes them anyway (saves the client decoding and scaling)"},
		&cli.IntFlag{Name: "max-tokens", Value: d.MaxTokens, Usage: "max_tokens of each request"},
		&cli.IntFlag{Name: "seed", Usage: "seed sent with each request"},
		&cli.BoolFlag{Name: "structured", Usage: "send a JSON-schema response_format of exactly the trained target (guided decoding)"},
		&cli.StringFlag{Name: "box-scale", Value: string(d.BoxScale), Usage: "how the model writes boxes: auto, unit (0-1), 1000 (0-1000 grid) or pixel"},
		&cli.StringFlag{Name: "extra-body", Usage: `JSON object merged into every request body, e.g. '{"top_k": 1}'`},
		&cli.StringFlag{Name: "prompt-grounding", Usage: "grounding prompt file overriding the profile's"},
		&cli.StringFlag{Name: "draft-parser", Value: string(d.DraftParser), Usage: "rules (deterministic, no model) or llm"},
		&cli.StringFlag{Name: "draft-endpoint", Usage: "endpoint of the draft-parsing model (--draft-parser llm)"},
		&cli.StringFlag{Name: "draft-model", Usage: "draft-parsing model name, e.g. a Nemotron-3 Nano 4B"},
		&cli.StringFlag{Name: "prompt-draft", Usage: "draft prompt file overriding the profile's"},
		&cli.IntFlag{Name: "draft-max-tokens", Value: d.DraftMaxTokens, Usage: "max_tokens of the draft model's requests (room for a thinking model to finish)"},
		&cli.StringFlag{Name: "draft-system-prompt", Usage: "file whose text is the draft model's system message (default: the profile's, none for the shipped ones)"},
		&cli.StringFlag{Name: "draft-rules", Usage: "rules parser lexicon overriding configs/draft_rules.yaml"},
		&cli.StringFlag{Name: "uncertain-as", Value: string(d.UncertainAs), Usage: "hedged draft statements count as present or absent"},
		&cli.StringFlag{Name: "urgent", Usage: "urgent whitelist, comma-separated (default from the label map)"},
		&cli.BoolFlag{Name: "no-preflight", Usage: "do not check the endpoints (GET /v1/models: reachable, model served) before starting"},
		labelmapFlag(),
	})
}

// endpointFlags are the HTTP client flags of every command that calls an
// OpenAI-compatible endpoint (audit, serve, eval's LLM parser), built in
// one place so their meaning (--retries 0: none) cannot drift.
func endpointFlags(usagePrefix string, timeout time.Duration, retries int) []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "api-key", Usage: usagePrefix + "API key (default $CXRKIT_API_KEY, else $OPENAI_API_KEY); never logged"},
		&cli.DurationFlag{Name: "timeout", Value: timeout, Usage: usagePrefix + "timeout of one HTTP attempt (Go duration)"},
		&cli.IntFlag{Name: "retries", Value: retries, Usage: usagePrefix + "transport retries on 429, 5xx, dropped connections and timeouts (0: none)"},
	}
}

// auditorConfig reads the shared flags into a pipeline.AuditorConfig,
// over pipeline.AuditorDefaults().
func auditorConfig(c *cli.Context) (pipeline.AuditorConfig, error) {
	o := pipeline.AuditorDefaults()
	var err error
	if o.ExtraBody, err = extraBody(c); err != nil {
		return o, err
	}
	if o.DraftParser, err = pipeline.ParseDraftParser(c.String("draft-parser")); err != nil {
		return o, usageError{fmt.Errorf("--draft-parser %w", err)}
	}
	if o.UncertainAs, err = pipeline.ParseUncertainAs(c.String("uncertain-as")); err != nil {
		return o, usageError{fmt.Errorf("--uncertain-as %w", err)}
	}
	if o.BoxScale, err = infer.ParseBoxScale(c.String("box-scale")); err != nil {
		return o, usageError{fmt.Errorf("--box-scale %w", err)}
	}
	o.Endpoints, o.Model, o.APIKey = c.StringSlice("endpoint"), c.String("model"), apiKey(c)
	o.Timeout, o.Retries, o.MaxSide, o.ServerResizes = c.Duration("timeout"), c.Int("retries"), c.Int("image-max-side"), c.Bool("server-resizes")
	o.MaxTokens, o.Seed, o.Structured = c.Int("max-tokens"), c.Int("seed"), c.Bool("structured")
	o.PromptGrounding, o.DraftEndpoint, o.DraftModel = c.String("prompt-grounding"), c.String("draft-endpoint"), c.String("draft-model")
	o.PromptDraft, o.DraftRules, o.Urgent, o.Labelmap = c.String("prompt-draft"), c.String("draft-rules"), splitList(c.String("urgent")), c.String("labelmap")
	o.Profile, o.StructuredWrapper, o.MaxPixels, o.MaxResponseMB = c.String("profile"), c.Bool("structured-wrapper"), c.Int64("max-pixels"), c.Int("max-response-mb")
	o.MaxImageMB, o.Contract, o.AllowMismatch = c.Int64("max-image-mb"), c.String("contract"), c.Bool("allow-mismatch")
	o.DraftMaxTokens, o.DraftSystemPrompt = c.Int("draft-max-tokens"), c.String("draft-system-prompt")
	o.NoPreflight = c.Bool("no-preflight")
	// Unset flags defer to a contract; set ones are checked against it.
	return o.DeferToContract(func(key string) bool { return c.IsSet(strings.ReplaceAll(key, "_", "-")) }), nil
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

// startAuditor starts the auditor of audit and serve (pipeline's one
// way: build, then check the endpoints unless --no-preflight) and warns
// of contract contradictions let through.
func startAuditor(ctx context.Context, cfg pipeline.AuditorConfig, gopts globalOptions) (*pipeline.Assembled, error) {
	setup, err := pipeline.StartAuditor(ctx, cfg)
	if setup != nil {
		for _, w := range setup.Warnings {
			fmt.Fprintf(gopts.stderr, "cxrkit: warning: %s\n", w)
		}
	}
	return setup, err
}
