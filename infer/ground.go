package infer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/configs"
	"github.com/cxrkit/cxrkit/imaging"
	"github.com/cxrkit/cxrkit/labelmap"
)

// Chatter answers chat requests: the HTTP Client, a Recorder that only
// collects requests for a batch file, or BatchAnswers read from one.
type Chatter interface {
	Chat(ctx context.Context, r Request) (Response, error)
	Model() string
}

// A Forgetter drops a stored answer to r. The grounder and the draft
// model call it for an answer they could not parse: an errored case is
// retried by the next run, and a retry must reach the model (perhaps
// fixed meanwhile) rather than the stored answer that failed.
type Forgetter interface {
	Forget(r Request)
}

// forget drops c's stored answer to r when c stores answers.
func forget(c Chatter, r Request) {
	if f, ok := c.(Forgetter); ok {
		f.Forget(r)
	}
}

// finishLength is the finish_reason of an answer cut at max_tokens.
const finishLength = "length"

// Corrective is the instruction added to the second and third grounding
// attempts after an answer could not be parsed.
const Corrective = "Your previous answer could not be read. Answer again with only the JSON array described above, no other text."

// Request defaults: the one place each lives; flags and configs take them
// from here (through pipeline.AuditorDefaults).
const (
	// DefaultMaxSide is the long side images are scaled to before sending
	// (MedGemma's 896×896 input).
	DefaultMaxSide = 896
	// DefaultMaxTokens bounds each answer; a grounding answer is far shorter.
	DefaultMaxTokens = 512
)

// GrounderOptions configure a Grounder.
type GrounderOptions struct {
	Chat    Chatter
	Prompt  configs.Prompt
	Vocab   *labelmap.Vocabulary
	MaxSide int // default DefaultMaxSide
	// ServerResizes sends image files as they are (see ImageOptions).
	ServerResizes bool
	MaxTokens     int // default DefaultMaxTokens
	Seed          int
	Structured    bool
	// StructuredWrapper sends the schema under {"findings": ...} for
	// servers whose JSON-schema mode wants an object at the top; the
	// default is the bare array the model is trained on.
	StructuredWrapper bool
	Scale             BoxScale
	// Profile is the model's conventions: box scale (the schema's bounds
	// and the scale auto prefers), box order, square padding, reasoning
	// markers and sampling. The zero value is cxrkit's: unit boxes, no
	// padding, temperature 0.
	Profile configs.Profile
	// Attempts is the parse-retry ladder length, 1..3 (default 3).
	Attempts int
	// Image bounds reading and decoding images (zero: imaging.Defaults).
	Image imaging.Options
	// ImageDir, when set, sends images as file:// URLs of files written
	// there (for `vllm run-batch --allowed-local-media-path DIR`) instead
	// of base64 data URLs.
	ImageDir string
}

// Grounder asks a grounding model about an image.
type Grounder struct {
	o      GrounderOptions
	cache  *encodeCache
	schema json.RawMessage // response_format of --structured, built once
}

// NewGrounder validates options.
func NewGrounder(o GrounderOptions) (*Grounder, error) {
	if o.Chat == nil || o.Vocab == nil || o.Prompt.Text == "" {
		return nil, errors.New("grounder: chat client, vocabulary and prompt are required")
	}
	if o.MaxSide <= 0 {
		o.MaxSide = DefaultMaxSide
	}
	if o.MaxTokens <= 0 {
		o.MaxTokens = DefaultMaxTokens
	}
	if o.Attempts <= 0 || o.Attempts > 3 {
		o.Attempts = 3
	}
	if o.Scale == "" {
		o.Scale = ScaleAuto
	}
	g := &Grounder{o: o, cache: newEncodeCache(encodeCacheSlack)}
	if o.Structured {
		g.schema = GroundingResponseFormat(o.Profile.BoxScaleMax(), o.StructuredWrapper)
	}
	return g, nil
}

// request builds attempt n (1-based) of the ladder: 1 as asked, 2 with a
// corrective instruction, 3 also sampling (temperature 0.4, top_p 0.9).
func (g *Grounder) request(enc Encoded, attempt int) Request {
	parts := []Part{{Image: &enc}, {Text: g.o.Prompt.Text}}
	if attempt >= 2 {
		parts = append(parts, Part{Text: Corrective})
	}
	seed := g.o.Seed
	r := Request{
		Messages:  []Message{{Role: "user", Parts: parts}},
		MaxTokens: g.o.MaxTokens, Seed: &seed,
		Temperature: g.o.Profile.Sampling.Temperature, TopP: g.o.Profile.Sampling.TopP,
	}
	if attempt >= 3 {
		r.Temperature, r.TopP = 0.4, 0.9
	}
	if g.o.Structured {
		r.ResponseFormat = g.schema
	}
	return r
}

// answerFormat is how the profile says the model writes boxes.
func (g *Grounder) answerFormat() AnswerFormat {
	f := AnswerFormat{Scale: g.o.Scale, Order: OrderYX}
	if g.o.Profile.BoxScale == configs.BoxScale1000 {
		f.Expect = Scale1000
	}
	if g.o.Profile.BoxOrder == configs.BoxOrderXY {
		f.Order = OrderXY
	}
	return f
}

// encode returns the image as sent, from the cache when it is there; pin
// says whether a prepare or a grounding asks (see encodeCache).
func (g *Grounder) encode(ctx context.Context, ref cxrkit.ImageRef, pin pinChange) (Encoded, error) {
	key := imageCacheKey(ref, g.o.Image)
	if key != "" {
		if enc, ok := g.cache.get(key, pin); ok {
			return enc, nil
		}
	}
	enc, err := EncodeImage(ctx, ref, ImageOptions{MaxSide: g.o.MaxSide, ServerResizes: g.o.ServerResizes,
		PadToSquare: g.o.Profile.PadToSquare, Budget: g.o.Image})
	if err == nil && g.o.ImageDir != "" {
		enc, err = asFileURL(enc, g.o.ImageDir)
	}
	if err == nil && key != "" {
		g.cache.put(key, enc, pin)
	}
	return enc, err
}

// Prepare encodes an image ahead of its request, so a batch can scale
// the next images while earlier requests wait on the network.
func (g *Grounder) Prepare(ctx context.Context, ref cxrkit.ImageRef) error {
	_, err := g.encode(ctx, ref, pinPrepare)
	return err
}

// KeepPrepared says that about n prepared images wait for their Ground
// at once (a batch's look-ahead window). They are pinned in the encode
// cache anyway; n sets how far pins that were never released (a cancelled
// run) may grow the cache before the oldest go.
func (g *Grounder) KeepPrepared(n int) {
	g.cache.atLeast(n)
}

// Ground sends the image and parses the answer, climbing the retry ladder
// while the answer cannot be parsed. Transport failures and unreadable
// images are errors; an answer that never parses is a failed Grounding.
func (g *Grounder) Ground(ctx context.Context, ref cxrkit.ImageRef) (cxrkit.Grounding, error) {
	enc, err := g.encode(ctx, ref, pinGround)
	if err != nil {
		return cxrkit.Grounding{}, err
	}
	out := cxrkit.Grounding{Model: g.o.Chat.Model(), Status: cxrkit.ParseFailed}
	for attempt := 1; attempt <= g.o.Attempts; attempt++ {
		req := g.request(enc, attempt)
		resp, err := g.o.Chat.Chat(ctx, req)
		if err != nil {
			return out, fmt.Errorf("grounding %s: %w", ref.Key(), err)
		}
		out.Attempts, out.Raw = attempt, resp.Text
		if resp.Model != "" {
			out.Model = resp.Model
		}
		p := ParseGroundingAs(g.o.Profile.StripThinking(resp.Text), g.o.Vocab, g.answerFormat(), enc.Sent)
		p.Findings = unpad(p.Findings, enc, &p.Notes)
		out.Notes = append(out.Notes, prefixed(attempt, p.Notes)...)
		if resp.FinishReason == finishLength {
			out.Notes = append(out.Notes, fmt.Sprintf("attempt %d: answer cut at max_tokens", attempt))
		}
		if p.Status != cxrkit.ParseFailed {
			out.Findings, out.Status = p.Findings, p.Status
			return out, nil
		}
		forget(g.o.Chat, req)
	}
	return out, nil
}

func prefixed(attempt int, notes []string) []string {
	out := make([]string, len(notes))
	for i, n := range notes {
		out[i] = fmt.Sprintf("attempt %d: %s", attempt, n)
	}
	return out
}

// GroundingResponseFormat is the response_format --structured sends: the
// JSON schema of exactly the trained target (cxrkit.GroundingTargetSchema)
// with the profile's box bounds, or that array under {"findings": ...}
// when wrapped. Strict is set only for the wrapped object, the form
// OpenAI's strict mode accepts.
func GroundingResponseFormat(boxMax float64, wrapped bool) json.RawMessage {
	schema := cxrkit.GroundingTargetSchema(boxMax)
	if wrapped {
		schema = cxrkit.WrappedSchema(schema)
	}
	format := map[string]any{"type": "json_schema", "json_schema": map[string]any{
		"name": "cxr_findings", "schema": schema, "strict": wrapped}}
	data, err := json.Marshal(format)
	if err != nil {
		panic(err) // a schema of maps, strings and numbers always marshals
	}
	return data
}

// unpad maps boxes drawn on a padded square back to the original image;
// a box wholly in the padding loses its box, with a note.
func unpad(fs []cxrkit.Finding, enc Encoded, notes *[]string) []cxrkit.Finding {
	if enc.Inner.Empty() {
		return fs
	}
	for i := range fs {
		if fs[i].Box == nil {
			continue
		}
		b, ok := enc.ToOriginal(*fs[i].Box)
		if !ok {
			*notes = append(*notes, fmt.Sprintf("%s: box lies in the square padding, outside the image; kept without a box", fs[i].Label))
			fs[i].Box = nil
			continue
		}
		fs[i].Box = &b
	}
	return fs
}

// DefaultDraftMaxTokens is the draft model's max_tokens: room for a
// thinking model (Nemotron-3 Nano reasons before it answers) to finish.
const DefaultDraftMaxTokens = 2048

// DraftModelOptions configure an LLM draft parser.
type DraftModelOptions struct {
	Chat      Chatter
	Prompt    configs.Prompt
	Vocab     *labelmap.Vocabulary
	MaxTokens int // default DefaultDraftMaxTokens
	Seed      int
	// System is an optional system message.
	System string
	// Profile gives the reasoning switch appended to the prompt (e.g.
	// /no_think), the markers stripped from answers and the sampling.
	Profile configs.Profile
	// Attempts is the parse-retry ladder length, 1..3 (default 3), as for
	// grounding: a corrective instruction, then sampling.
	Attempts int
}

// DraftModel parses drafts with a language model (Nemotron-style: its
// <think> blocks are stripped).
type DraftModel struct{ o DraftModelOptions }

// NewDraftModel validates options.
func NewDraftModel(o DraftModelOptions) (*DraftModel, error) {
	if o.Chat == nil || o.Vocab == nil || o.Prompt.Text == "" {
		return nil, errors.New("draft model: chat client, vocabulary and prompt are required")
	}
	if !strings.Contains(o.Prompt.Text, configs.DraftPlaceholder) {
		return nil, fmt.Errorf("draft prompt %s has no %s placeholder", o.Prompt.Source, configs.DraftPlaceholder)
	}
	if o.MaxTokens <= 0 {
		o.MaxTokens = DefaultDraftMaxTokens
	}
	if o.Attempts <= 0 || o.Attempts > 3 {
		o.Attempts = 3
	}
	return &DraftModel{o: o}, nil
}

// request builds attempt n of the ladder for a draft.
func (d *DraftModel) request(text string, attempt int) Request {
	seed := d.o.Seed
	prompt := strings.ReplaceAll(d.o.Prompt.Text, configs.DraftPlaceholder, text)
	if attempt >= 2 {
		prompt += "\n\n" + Corrective
	}
	if sw := strings.TrimSpace(d.o.Profile.Draft.Switch); sw != "" {
		prompt += "\n" + sw
	}
	var msgs []Message
	if d.o.System != "" {
		msgs = append(msgs, Message{Role: "system", Text: d.o.System})
	}
	msgs = append(msgs, UserText(prompt))
	r := Request{Messages: msgs, MaxTokens: d.o.MaxTokens, Seed: &seed,
		Temperature: d.o.Profile.Sampling.Temperature, TopP: d.o.Profile.Sampling.TopP}
	if attempt >= 3 {
		r.Temperature, r.TopP = 0.4, 0.9
	}
	return r
}

// ReadDraft asks the model and parses its answer, climbing the retry
// ladder while the answer cannot be parsed. A transport error is returned
// as an error; an answer that never parses is a failed reading.
func (d *DraftModel) ReadDraft(ctx context.Context, text string) (cxrkit.DraftReading, error) {
	r := cxrkit.DraftReading{Status: cxrkit.ParseFailed}
	for attempt := 1; attempt <= d.o.Attempts; attempt++ {
		req := d.request(text, attempt)
		resp, err := d.o.Chat.Chat(ctx, req)
		if err != nil {
			return r, fmt.Errorf("draft model: %w", err)
		}
		p := ParseDraft(d.o.Profile.StripThinking(resp.Text), text, d.o.Vocab)
		r.Raw = resp.Text
		r.Notes = append(r.Notes, prefixed(attempt, p.Notes)...)
		if resp.FinishReason == finishLength {
			r.Notes = append(r.Notes, fmt.Sprintf("attempt %d: answer cut at max_tokens (%d)", attempt, d.o.MaxTokens))
		}
		if p.Status != cxrkit.ParseFailed {
			r.Findings, r.Status = p.Findings, p.Status
			return r, nil
		}
		forget(d.o.Chat, req)
	}
	return r, nil
}
