package infer

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"

	"github.com/cxrkit/cxrkit"
	openai "github.com/sashabaranov/go-openai"
)

// ErrRecorded is what a Recorder answers: the request went to the batch
// file instead of a server.
var ErrRecorded = errors.New("request recorded for the batch file")

// BatchLine is one line of an OpenAI batch input file, as `vllm run-batch`
// reads it.
type BatchLine struct {
	CustomID string          `json:"custom_id"`
	Method   string          `json:"method"`
	URL      string          `json:"url"`
	Body     json.RawMessage `json:"body"`
}

// Recorder is a Chatter that collects requests for a batch file. Each
// request's custom_id is its content address (RequestKey), so identical
// requests (the same image in several cases) are sent once, and reading
// the output back needs no other bookkeeping.
type Recorder struct {
	model string
	extra map[string]any
	mu    sync.Mutex
	lines map[string]BatchLine
}

// NewRecorder records requests for model.
func NewRecorder(model string, extra map[string]any) *Recorder {
	return &Recorder{model: model, extra: extra, lines: map[string]BatchLine{}}
}

// Model is the model requests are for.
func (r *Recorder) Model() string { return r.model }

// Chat records the request and answers ErrRecorded.
func (r *Recorder) Chat(_ context.Context, req Request) (Response, error) {
	key := RequestKey(r.model, req, r.extra)
	body, err := requestBody(r.model, req, r.extra)
	if err != nil {
		return Response{}, err
	}
	r.mu.Lock()
	r.lines[key] = BatchLine{CustomID: key, Method: "POST", URL: "/v1/chat/completions", Body: body}
	r.mu.Unlock()
	return Response{}, ErrRecorded
}

// Len is the number of distinct requests recorded.
func (r *Recorder) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.lines)
}

// WriteFile writes the batch file atomically, lines sorted by custom_id.
func (r *Recorder) WriteFile(path string) error {
	r.mu.Lock()
	keys := make([]string, 0, len(r.lines))
	for k := range r.lines {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	r.mu.Unlock()
	return cxrkit.WriteFileAtomic(path, func(w *bufio.Writer) error {
		enc := cxrkit.NewJSONLEncoder(w)
		for _, k := range keys {
			if err := enc.Encode(r.lines[k]); err != nil {
				return err
			}
		}
		return nil
	})
}

// BatchOutputLine is one line of an OpenAI batch output file.
type BatchOutputLine struct {
	ID       string `json:"id"`
	CustomID string `json:"custom_id"`
	Response *struct {
		StatusCode int                           `json:"status_code"`
		RequestID  string                        `json:"request_id"`
		Body       openai.ChatCompletionResponse `json:"body"`
	} `json:"response"`
	Error *struct {
		Code    any    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// BatchAnswers is a Chatter that answers from a batch output file.
type BatchAnswers struct {
	model   string
	extra   map[string]any
	answers map[string]Response
	errs    map[string]string
}

// ReadBatchOutput reads a `vllm run-batch` (OpenAI batch) output file.
func ReadBatchOutput(path, model string, extra map[string]any) (*BatchAnswers, error) {
	b := &BatchAnswers{model: model, extra: extra, answers: map[string]Response{}, errs: map[string]string{}}
	err := cxrkit.ReadJSONLFile(path, func(line int, l *BatchOutputLine) error {
		if l.CustomID == "" {
			return errors.New("batch output line without custom_id")
		}
		switch {
		case l.Error != nil:
			b.errs[l.CustomID] = fmt.Sprintf("batch error: %s", l.Error.Message)
		case l.Response == nil:
			b.errs[l.CustomID] = "batch line has neither response nor error"
		case l.Response.StatusCode != 200:
			b.errs[l.CustomID] = fmt.Sprintf("batch request failed with HTTP %d", l.Response.StatusCode)
		case len(l.Response.Body.Choices) == 0:
			b.errs[l.CustomID] = "batch response has no choices"
		default:
			ch := l.Response.Body.Choices[0]
			b.answers[l.CustomID] = Response{Text: ch.Message.Content, FinishReason: string(ch.FinishReason), Model: l.Response.Body.Model}
		}
		return nil
	})
	return b, err
}

// Model is the model the batch was run with.
func (b *BatchAnswers) Model() string { return b.model }

// Len is the number of answers and errors read.
func (b *BatchAnswers) Len() (answers, errs int) { return len(b.answers), len(b.errs) }

// Chat answers from the batch output by the request's content address.
func (b *BatchAnswers) Chat(_ context.Context, req Request) (Response, error) {
	key := RequestKey(b.model, req, b.extra)
	if r, ok := b.answers[key]; ok {
		return r, nil
	}
	if msg, ok := b.errs[key]; ok {
		return Response{}, errors.New(msg)
	}
	return Response{}, fmt.Errorf("the batch output has no answer for request %s (was it emitted with the same model, prompt and settings?)", key[:12])
}
