package main

import (
	"encoding/json"
	"os"
	"slices"
	"time"

	"github.com/cxrkit/cxrkit"
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
		&cli.StringFlag{Name: "box-scale", Value: "auto", Usage: "how the model writes boxes: auto, unit (0-1), 1000 (0-1000 grid) or pixel"},
		&cli.StringFlag{Name: "extra-body", Usage: `JSON object merged into every request body, e.g. '{"top_k": 1}'`},
		&cli.StringFlag{Name: "prompt-grounding", Usage: "grounding prompt file overriding the profile's"},
		&cli.StringFlag{Name: "draft-parser", Value: d.DraftParser, Usage: "rules (deterministic, no model) or llm"},
		&cli.StringFlag{Name: "draft-endpoint", Usage: "endpoint of the draft-parsing model (--draft-parser llm)"},
		&cli.StringFlag{Name: "draft-model", Usage: "draft-parsing model name, e.g. a Nemotron-3 Nano 4B"},
		&cli.StringFlag{Name: "prompt-draft", Usage: "draft prompt file overriding the profile's"},
		&cli.IntFlag{Name: "draft-max-tokens", Value: d.DraftMaxTokens, Usage: "max_tokens of the draft model's requests (room for a thinking model to finish)"},
		&cli.StringFlag{Name: "draft-system-prompt", Usage: "file whose text is the draft model's system message (default: the profile's, none for the shipped ones)"},
		&cli.StringFlag{Name: "draft-rules", Usage: "rules parser lexicon overriding configs/draft_rules.yaml"},
		&cli.StringFlag{Name: "uncertain-as", Value: d.UncertainAs, Usage: "hedged draft statements count as present or absent"},
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

// auditorConfig reads the shared flags into a pipeline.AuditorConfig.
func auditorConfig(c *cli.Context) (pipeline.AuditorConfig, error) {
	extra, err := extraBody(c)
	if err != nil {
		return pipeline.AuditorConfig{}, err
	}
	profile, maxSide := c.String("profile"), c.Int("image-max-side")
	if c.String("contract") != "" {
		// Unset flags defer to the contract; set ones are checked against it.
		if !c.IsSet("profile") {
			profile = ""
		}
		if !c.IsSet("image-max-side") {
			maxSide = 0
		}
	}
	return pipeline.AuditorConfig{
		Endpoints: c.StringSlice("endpoint"), Model: c.String("model"), APIKey: apiKey(c),
		Timeout: c.Duration("timeout"), Retries: c.Int("retries"), MaxSide: maxSide, ServerResizes: c.Bool("server-resizes"),
		MaxTokens: c.Int("max-tokens"), Seed: c.Int("seed"), Structured: c.Bool("structured"),
		BoxScale: c.String("box-scale"), ExtraBody: extra, PromptGrounding: c.String("prompt-grounding"),
		DraftParser: c.String("draft-parser"), DraftEndpoint: c.String("draft-endpoint"), DraftModel: c.String("draft-model"),
		PromptDraft: c.String("prompt-draft"), DraftRules: c.String("draft-rules"), UncertainAs: c.String("uncertain-as"),
		Urgent: splitList(c.String("urgent")), Labelmap: c.String("labelmap"),
		Profile: profile, StructuredWrapper: c.Bool("structured-wrapper"), MaxPixels: c.Int64("max-pixels"), MaxImageMB: c.Int64("max-image-mb"), MaxResponseMB: c.Int("max-response-mb"),
		Contract: c.String("contract"), AllowMismatch: c.Bool("allow-mismatch"),
		DraftMaxTokens: c.Int("draft-max-tokens"), DraftSystemPrompt: c.String("draft-system-prompt"),
	}, nil
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

// setGrounding applies --grounding: "gold" audits with corpus findings
// (records, or --corpus loaded now when records is nil), "model" asks
// the endpoint.
func setGrounding(c *cli.Context, cfg *pipeline.AuditorConfig, records []cxrkit.Record) error {
	switch mode := c.String("grounding"); mode {
	case "model":
		return nil
	case "gold":
	default:
		return usagef("--grounding %q: want model or gold", mode)
	}
	if records == nil {
		if c.String("corpus") == "" {
			return usagef("--grounding gold needs --corpus")
		}
		var err error
		if records, err = cxrkit.LoadJSONL[cxrkit.Record](c.String("corpus")); err != nil {
			return err
		}
	}
	cfg.Gold = records
	return nil
}

// preflight checks the endpoints before anything is sent, unless
// --no-preflight: a dead port or a misspelt model fails in seconds.
func preflight(c *cli.Context, setup *pipeline.Assembled) error {
	if c.Bool("no-preflight") {
		return nil
	}
	return setup.Preflight(c.Context)
}
