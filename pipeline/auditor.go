package pipeline

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/cxrkit/cxrkit/imaging"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/audit"
	"github.com/cxrkit/cxrkit/configs"
	"github.com/cxrkit/cxrkit/infer"
	"github.com/cxrkit/cxrkit/labelmap"
)

// AuditorConfig is everything an auditor is built from. The yaml keys
// are those of cxrkit run's audit section (the flags' names with "_");
// fields tagged "-" are set by the caller (gold records, batch files,
// the secret key, the run's label map).
type AuditorConfig struct {
	// Gold, when set, grounds images with corpus findings instead of a model.
	Gold []cxrkit.Record `yaml:"-"`

	Endpoints []string      `yaml:"endpoints"`
	Model     string        `yaml:"model"`
	APIKey    string        `yaml:"-"`
	Timeout   time.Duration `yaml:"timeout"`
	Retries   int           `yaml:"retries"`
	MaxSide   int           `yaml:"image_max_side"`
	// ServerResizes sends image files as they are: the endpoint resizes.
	ServerResizes bool           `yaml:"server_resizes"`
	MaxTokens     int            `yaml:"max_tokens"`
	Seed          int            `yaml:"seed"`
	Structured    bool           `yaml:"structured"`
	BoxScale      infer.BoxScale `yaml:"box_scale"`
	ExtraBody     map[string]any `yaml:"extra_body"`
	Cache         infer.Cache    `yaml:"-"`
	// Chat, when set, replaces the HTTP client for grounding (batch files).
	Chat infer.Chatter `yaml:"-"`
	// Attempts is the grounding parse-retry ladder length (default 3).
	Attempts int `yaml:"-"`
	// MaxPixels bounds the images decoded (--max-pixels).
	MaxPixels int64 `yaml:"max_pixels"`
	// MaxImageMB bounds one image's file and decoding memory, in MiB
	// (--max-image-mb).
	MaxImageMB int64 `yaml:"max_image_mb"`
	// MaxResponseMB bounds an endpoint's answer (--max-response-mb).
	MaxResponseMB int `yaml:"max_response_mb"`

	// Profile is a model profile name (cxrkit, medgemma-native) or file.
	Profile string `yaml:"profile"`
	// StructuredWrapper sends the --structured schema under
	// {"findings": ...} for servers that need an object at the top.
	StructuredWrapper bool `yaml:"structured_wrapper"`

	// Contract is an export folder whose contract.json gives the profile,
	// prompts and image size; settings that contradict it are refused.
	Contract string `yaml:"contract"`
	// AllowMismatch turns contract contradictions into warnings.
	AllowMismatch bool `yaml:"allow_mismatch"`
	// NoPreflight skips checking the endpoints (GET /v1/models: reachable,
	// model served) before the first case.
	NoPreflight bool `yaml:"no_preflight"`

	PromptGrounding string      `yaml:"prompt_grounding"` // file overriding the profile's grounding prompt
	DraftParser     DraftParser `yaml:"draft_parser"`
	DraftEndpoint   string      `yaml:"draft_endpoint"`
	DraftModel      string      `yaml:"draft_model"`
	PromptDraft     string      `yaml:"prompt_draft"`
	DraftRules      string      `yaml:"draft_rules"`
	// DraftMaxTokens is the draft model's max_tokens, apart from
	// grounding's: a thinking model needs room to finish.
	DraftMaxTokens int `yaml:"draft_max_tokens"`
	// DraftSystemPrompt is a file whose text is the draft model's system
	// message ("" for none; else the profile's).
	DraftSystemPrompt string `yaml:"draft_system_prompt"`
	// DraftChat, when set, replaces the draft model's HTTP client (batch
	// files); DraftAttempts is its parse-retry ladder length (default 3).
	DraftChat     infer.Chatter `yaml:"-"`
	DraftAttempts int           `yaml:"-"`
	// ImageDir, when set, sends images as file:// URLs of files written
	// there (batch files for vllm run-batch --allowed-local-media-path).
	ImageDir string `yaml:"-"`
	// BatchImages is how batch files carry images: base64 or file.
	BatchImages BatchImages `yaml:"-"`
	UncertainAs UncertainAs `yaml:"uncertain_as"`
	Urgent      []string    `yaml:"urgent"`
	Labelmap    string      `yaml:"-"`
}

// DeferToContract returns c with the settings a contract gives (profile,
// image_max_side) cleared when isSet says the user left them out, so
// that the contract's values apply and only settings the user gave are
// checked against it. isSet takes the config key ("image_max_side").
func (c AuditorConfig) DeferToContract(isSet func(key string) bool) AuditorConfig {
	if c.Contract == "" {
		return c
	}
	if !isSet("profile") {
		c.Profile = ""
	}
	if !isSet("image_max_side") {
		c.MaxSide = 0
	}
	return c
}

// draftMemoSize is how many distinct drafts the rules parser's memo
// keeps: every distinct draft of a full VinDr synthetic case file.
const draftMemoSize = 1 << 15

// AuditorDefaults is the one place the defaults of the auditor settings
// added with model profiles live; flags take their values from it.
func AuditorDefaults() AuditorConfig {
	return AuditorConfig{Profile: configs.ProfileCxrkit, DraftParser: DraftParserRules, UncertainAs: UncertainPresent, MaxPixels: imaging.Defaults().MaxPixels, MaxImageMB: imaging.DefaultMaxImageMB(),
		Timeout: infer.ClientDefaults().Timeout, Retries: infer.ClientDefaults().Retries, MaxSide: infer.DefaultMaxSide, MaxTokens: infer.DefaultMaxTokens,
		MaxResponseMB: int(infer.ClientDefaults().MaxResponseBytes >> 20),
		// contract (#15)
		DraftMaxTokens: infer.DefaultDraftMaxTokens, BatchImages: BatchImagesBase64, BoxScale: infer.ScaleAuto}
}

// Assembled is a built auditor and the parts callers need.
type Assembled struct {
	Auditor *audit.Auditor
	Vocab   *labelmap.Vocabulary
	// Client is the grounding model's HTTP client (nil for gold or batch).
	Client *infer.Client
	// DraftClient is the draft model's HTTP client (nil for rules).
	DraftClient *infer.Client
	// Warnings are contract contradictions let through by AllowMismatch.
	Warnings []string
	// archives keeps the zip archives of ARCHIVE.zip!MEMBER image paths
	// open for the auditor's run, so a case's image costs one member
	// open, not two central-directory reads (nil for gold grounding).
	archives *imaging.ArchiveCache
}

// maxOpenArchives bounds the zip archives an auditor keeps open (NIH
// has twelve).
const maxOpenArchives = 16

// Close lets go of what the auditor keeps open between cases; call it
// when the run is done.
func (a *Assembled) Close() error {
	return a.archives.Close()
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", cxrkit.ErrInvalidOptions, fmt.Sprintf(format, args...))
}

// NewAuditor builds an auditor: gold or model grounding, rules or model
// draft parsing (falling back to rules), the comparator's whitelist.
func NewAuditor(c AuditorConfig) (*Assembled, error) {
	vocab, err := labelmap.LoadFile(c.Labelmap)
	if err != nil {
		return nil, err
	}
	if len(c.Urgent) > 0 {
		var ls []labelmap.Label
		for _, name := range c.Urgent {
			l, ok := vocab.Normalize(name)
			if !ok {
				return nil, invalid("urgent: unknown label %q", name)
			}
			ls = append(ls, l)
		}
		if vocab, err = vocab.WithUrgent(ls); err != nil {
			return nil, invalid("%v", err)
		}
	}
	if _, err := ParseUncertainAs(string(c.UncertainAs)); err != nil {
		return nil, fmt.Errorf("uncertain-as %w", err)
	}
	scale, err := infer.ParseBoxScale(string(c.BoxScale))
	if err != nil {
		return nil, fmt.Errorf("box-scale %w", err)
	}
	var profile configs.Profile
	var warnings []string
	if c.Contract != "" {
		if profile, warnings, err = applyContract(&c); err != nil {
			return nil, err
		}
	} else if profile, err = configs.LoadProfile(c.Profile); err != nil {
		return nil, invalid("%v", err)
	}
	c.ExtraBody = samplingExtra(profile.Sampling, c.ExtraBody)
	rules, err := audit.NewRulesParser(c.DraftRules)
	if err != nil {
		return nil, err
	}
	prompts := map[string]string{}
	a := &Assembled{Vocab: vocab, Warnings: warnings, Auditor: &audit.Auditor{Drafts: audit.NewDraftMemo(rules, draftMemoSize), Prompts: prompts,
		Compare: audit.CompareOptions{Urgent: vocab.Urgent(), UncertainAsAbsent: c.UncertainAs == UncertainAbsent}}}
	clientOpts := func(endpoints []string, model string) infer.ClientOptions {
		return infer.ClientOptions{Endpoints: endpoints, Model: model, APIKey: c.APIKey, Timeout: c.Timeout,
			Retries: clientRetries(c.Retries), ExtraBody: c.ExtraBody, Cache: c.Cache, MaxResponseBytes: int64(c.MaxResponseMB) << 20}
	}
	switch c.DraftParser {
	case "", DraftParserRules:
	case DraftParserLLM:
		var dc infer.Chatter = c.DraftChat
		if dc == nil {
			if c.DraftEndpoint == "" || c.DraftModel == "" {
				return nil, invalid("draft parser llm needs a draft endpoint and a draft model")
			}
			if a.DraftClient, err = infer.NewClient(clientOpts([]string{c.DraftEndpoint}, c.DraftModel)); err != nil {
				return nil, err
			}
			dc = a.DraftClient
		}
		prompt, err := profile.LoadPrompt(configs.PromptDraftParse, c.PromptDraft)
		if err != nil {
			return nil, err
		}
		system := profile.Draft.SystemPrompt
		if c.DraftSystemPrompt != "" {
			data, err := os.ReadFile(c.DraftSystemPrompt)
			if err != nil {
				return nil, invalid("draft system prompt: %v", err)
			}
			system = string(data)
			prompts["draft_system"] = configs.SHA256Hex(data)
		}
		dm, err := infer.NewDraftModel(infer.DraftModelOptions{Chat: dc, Prompt: prompt, Vocab: vocab, MaxTokens: c.DraftMaxTokens,
			Seed: c.Seed, System: system, Profile: profile, Attempts: c.DraftAttempts})
		if err != nil {
			return nil, invalid("%v", err)
		}
		// A batch file's missing answer is an error (the case is retried
		// after resubmission), not a reason to read the draft by rules.
		a.Auditor.Drafts = audit.Fallback{Model: dm, Rules: rules, Strict: c.DraftChat != nil}
		prompts[configs.PromptDraftParse] = prompt.SHA256
	default:
		_, err := ParseDraftParser(string(c.DraftParser))
		return nil, fmt.Errorf("draft parser %w", err)
	}
	if c.Gold != nil {
		a.Auditor.Grounder = audit.NewGoldGrounder(c.Gold)
		return a, nil
	}
	if c.Model == "" {
		return nil, invalid("give the grounding model's name (--model), or use gold grounding with a corpus")
	}
	chat := c.Chat
	if chat == nil {
		if len(c.Endpoints) == 0 {
			return nil, invalid("give an endpoint (e.g. http://gpu:8000/v1), or use gold grounding with a corpus")
		}
		if a.Client, err = infer.NewClient(clientOpts(c.Endpoints, c.Model)); err != nil {
			return nil, err
		}
		// Cases of one image ask the same question: ask it once.
		chat = infer.NewMemo(a.Client, 4096)
	}
	prompt, err := profile.LoadPrompt(configs.PromptGrounding, c.PromptGrounding)
	if err != nil {
		return nil, err
	}
	budget := imaging.Budget(c.MaxPixels, c.MaxImageMB)
	a.archives = imaging.NewArchiveCache(maxOpenArchives)
	budget.Archives = a.archives
	g, err := infer.NewGrounder(infer.GrounderOptions{Chat: chat, Prompt: prompt, Vocab: vocab,
		MaxSide: c.MaxSide, ServerResizes: c.ServerResizes, MaxTokens: c.MaxTokens, Seed: c.Seed, Structured: c.Structured, StructuredWrapper: c.StructuredWrapper,
		Scale: scale, Profile: profile, Attempts: c.Attempts, Image: budget, ImageDir: c.ImageDir})
	if err != nil {
		return nil, err
	}
	a.Auditor.Grounder = g
	prompts[configs.PromptGrounding] = prompt.SHA256
	return a, nil
}

// clientRetries maps a retries setting (flag or config: 0 asks for none)
// to infer's, where 0 means its default.
func clientRetries(n int) int {
	if n == 0 {
		return infer.NoRetries
	}
	return n
}

// samplingExtra adds the profile's sampling fields that the chat request
// has no field for (top_k, repetition_penalty) to the extra body; fields
// the user gave in --extra-body win.
func samplingExtra(s configs.Sampling, extra map[string]any) map[string]any {
	if s.TopK == 0 && s.RepetitionPenalty == 0 {
		return extra
	}
	out := map[string]any{}
	if s.TopK != 0 {
		out["top_k"] = s.TopK
	}
	if s.RepetitionPenalty != 0 {
		out["repetition_penalty"] = s.RepetitionPenalty
	}
	for k, v := range extra {
		out[k] = v
	}
	return out
}

// StartAuditor builds the auditor and, unless NoPreflight, checks its
// endpoints: how audit, serve and run begin, so a dead port or a
// misspelt model fails in seconds. After a failed check the built
// auditor is returned too, for its Warnings.
func StartAuditor(ctx context.Context, c AuditorConfig) (*Assembled, error) {
	a, err := NewAuditor(c)
	if err != nil {
		return nil, err
	}
	if !c.NoPreflight {
		if err := a.Preflight(ctx); err != nil {
			return a, err
		}
	}
	return a, nil
}

// Preflight checks, before any case is sent, that every endpoint the
// auditor will call answers and serves its model (infer.ErrPreflight).
func (a *Assembled) Preflight(ctx context.Context) error {
	for _, c := range []*infer.Client{a.Client, a.DraftClient} {
		if c == nil {
			continue
		}
		if err := c.Preflight(ctx); err != nil {
			return err
		}
	}
	return nil
}
