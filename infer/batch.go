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

// BatchOutputLine is one line of an OpenAI batch output file. The body
// is kept raw: a failed request's body is an error object, not a
// completion.
type BatchOutputLine struct {
	ID       string `json:"id"`
	CustomID string `json:"custom_id"`
	Response *struct {
		StatusCode int             `json:"status_code"`
		RequestID  string          `json:"request_id"`
		Body       json.RawMessage `json:"body"`
	} `json:"response"`
	Error *struct {
		Code    any    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// ErrBatchFailed is the error of a request the batch run did not answer;
// its message says why.
var ErrBatchFailed = errors.New("batch request failed")

// outcome reads one output line: the answer, or why there is none.
func (l *BatchOutputLine) outcome() (Response, error) {
	if l.Error != nil && (l.Error.Message != "" || l.Error.Code != nil) {
		return Response{}, fmt.Errorf("%w: %s", ErrBatchFailed, orUnknown(l.Error.Message, l.Error.Code))
	}
	if l.Response == nil {
		return Response{}, fmt.Errorf("%w: line has neither response nor error", ErrBatchFailed)
	}
	status := l.Response.StatusCode
	var body struct {
		openai.ChatCompletionResponse
		Object  string          `json:"object"`
		Message string          `json:"message"`
		Err     json.RawMessage `json:"error"`
	}
	if len(l.Response.Body) > 0 && string(l.Response.Body) != "null" {
		if err := json.Unmarshal(l.Response.Body, &body); err != nil {
			return Response{}, fmt.Errorf("%w: HTTP %d, body is not JSON: %v", ErrBatchFailed, status, err)
		}
	}
	// An error can sit inside the body whatever the status: vLLM's flat
	// {"object": "error", "message": ...} or OpenAI's {"error": {...}}.
	if body.Object == "error" || (len(body.Err) > 0 && string(body.Err) != "null") {
		msg := body.Message
		var nested struct {
			Message string `json:"message"`
		}
		if msg == "" && json.Unmarshal(body.Err, &nested) == nil {
			msg = nested.Message
		}
		if msg == "" {
			msg = string(body.Err)
		}
		return Response{}, fmt.Errorf("%w: HTTP %d: %s", ErrBatchFailed, status, msg)
	}
	// Status 0 (unset by some batch runners) counts by its body.
	if status != 0 && status != 200 {
		return Response{}, fmt.Errorf("%w: HTTP %d", ErrBatchFailed, status)
	}
	if len(body.Choices) == 0 {
		return Response{}, fmt.Errorf("%w: HTTP %d, response has no choices", ErrBatchFailed, status)
	}
	ch := body.Choices[0]
	return Response{Text: ch.Message.Content, FinishReason: string(ch.FinishReason), Model: body.Model}, nil
}

func orUnknown(msg string, code any) string {
	if msg != "" {
		return msg
	}
	return fmt.Sprintf("error code %v", code)
}

// BatchAnswers is a Chatter that answers from batch output files. A
// request it has no answer for (failed in the batch, or missing) is
// recorded for a resubmission batch file.
type BatchAnswers struct {
	model   string
	extra   map[string]any
	answers map[string]Response
	errs    map[string]error
	failed  *Recorder
}

// ReadBatchOutput reads `vllm run-batch` (OpenAI batch) output files, in
// any line order. Later files answer what earlier ones could not (the
// output of a resubmission): an answer always wins over an error.
func ReadBatchOutput(paths []string, model string, extra map[string]any) (*BatchAnswers, error) {
	b := &BatchAnswers{model: model, extra: extra, answers: map[string]Response{}, errs: map[string]error{},
		failed: NewRecorder(model, extra)}
	for _, path := range paths {
		err := cxrkit.ReadJSONLFile(path, func(line int, l *BatchOutputLine) error {
			if l.CustomID == "" {
				return errors.New("batch output line without custom_id")
			}
			resp, err := l.outcome()
			if err == nil {
				b.answers[l.CustomID] = resp
				delete(b.errs, l.CustomID)
			} else if _, answered := b.answers[l.CustomID]; !answered {
				b.errs[l.CustomID] = fmt.Errorf("%s:%d: %w", path, line, err)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return b, nil
}

// Model is the model the batch was run with.
func (b *BatchAnswers) Model() string { return b.model }

// Len is the number of answers and errors read.
func (b *BatchAnswers) Len() (answers, errs int) { return len(b.answers), len(b.errs) }

// Chat answers from the batch output by the request's content address;
// a request without an answer is kept for the resubmission file.
func (b *BatchAnswers) Chat(ctx context.Context, req Request) (Response, error) {
	key := RequestKey(b.model, req, b.extra)
	if r, ok := b.answers[key]; ok {
		return r, nil
	}
	if _, err := b.failed.Chat(ctx, req); !errors.Is(err, ErrRecorded) {
		return Response{}, fmt.Errorf("keeping request %s for the resubmission file: %w", key[:12], err)
	}
	if err, ok := b.errs[key]; ok {
		return Response{}, err
	}
	return Response{}, fmt.Errorf("%w: the batch output has no answer for request %s (was it emitted with the same model, prompt and settings?)", ErrBatchFailed, key[:12])
}

// Unanswered is the number of distinct requests asked without an answer.
func (b *BatchAnswers) Unanswered() int { return b.failed.Len() }

// WriteResubmission writes a batch input file of only the requests that
// had no answer, for another `vllm run-batch`; its output is read back
// with the first one (ReadBatchOutput with both paths).
func (b *BatchAnswers) WriteResubmission(path string) error { return b.failed.WriteFile(path) }
