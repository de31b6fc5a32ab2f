package fakevllm

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Request is the part of a chat completion request the fake reads.
type Request struct {
	Model       string          `json:"model"`
	Messages    []Message       `json:"messages"`
	Temperature *float64        `json:"temperature"`
	TopP        *float64        `json:"top_p"`
	MaxTokens   int             `json:"max_tokens"`
	Seed        *int            `json:"seed"`
	Format      json.RawMessage `json:"response_format"`
	body        []byte
}

// Raw decodes the whole request body, for assertions on any field.
func (r Request) Raw() map[string]any {
	var m map[string]any
	_ = json.Unmarshal(r.body, &m) // a body that is not JSON yields nil for the assertion to catch
	return m
}

// Message is one chat message; Content is a string or a list of parts.
type Message struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
}

// Texts returns the message's text parts (or its string content).
func (m Message) Texts() []string {
	var s string
	if json.Unmarshal(m.Content, &s) == nil {
		return []string{s}
	}
	var parts []struct {
		Type     string `json:"type"`
		Text     string `json:"text"`
		ImageURL struct {
			URL string `json:"url"`
		} `json:"image_url"`
	}
	_ = json.Unmarshal(m.Content, &parts) // plain-string content has no parts
	var out []string
	for _, p := range parts {
		if p.Type == "text" {
			out = append(out, p.Text)
		}
	}
	return out
}

// ImageURL returns the first image_url of the message, or "".
func (m Message) ImageURL() string {
	var parts []struct {
		Type     string `json:"type"`
		ImageURL struct {
			URL string `json:"url"`
		} `json:"image_url"`
	}
	if json.Unmarshal(m.Content, &parts) != nil {
		return ""
	}
	for _, p := range parts {
		if p.Type == "image_url" {
			return p.ImageURL.URL
		}
	}
	return ""
}

// ImageKey is the sha256 of the request's image data URL, "" without one:
// a responder keys scripted answers by it.
func (r Request) ImageKey() string {
	for _, m := range r.Messages {
		if u := m.ImageURL(); u != "" {
			return Key(u)
		}
	}
	return ""
}

// Key is the sha256 of s, hex.
func Key(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// Text joins every text part of every message.
func (r Request) Text() string {
	var out []string
	for _, m := range r.Messages {
		out = append(out, m.Texts()...)
	}
	return strings.Join(out, "\n")
}

// Responder answers a request with the model's text.
type Responder func(Request) string

// Faults inject failures; rates are probabilities per request.
type Faults struct {
	Rate5xx       float64 // 500 or 503, half with Retry-After: 0
	RateDrop      float64 // connection closed without a response
	RateTruncate  float64 // answer cut, finish_reason "length"
	Rate429       float64 // 429 with Retry-After: 0
	FlatErrorBody bool    // use vLLM's older {"object":"error",...} shape
}

// Options configure the fake.
type Options struct {
	Model     string
	Responder Responder
	// Latency is how long after a chat request arrives (its headers read)
	// the answer starts. Reading and decoding the body happen within it,
	// as a model server's request handling lies within its latency, so a
	// large body does not make the fake slower than Latency.
	Latency time.Duration
	Faults  Faults
	Seed    uint64
	// Fail makes every chat request answer this status with an error body.
	Fail int
	// FailFirst makes the first FailFirst chat requests answer 500: an
	// endpoint that is down for part of a batch, then recovers.
	FailFirst int
}

// Server is a running fake vLLM.
type Server struct {
	*httptest.Server
	o        Options
	mu       sync.Mutex
	rng      *rand.Rand
	requests []Request
	calls    atomic.Int64
	inFlight atomic.Int64
	peak     atomic.Int64
}

// New starts a fake vLLM server.
func New(o Options) *Server {
	if o.Model == "" {
		o.Model = "fake/medgemma-cxr"
	}
	s := &Server{o: o, rng: rand.New(rand.NewPCG(o.Seed, o.Seed^0x9e3779b97f4a7c15))}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	mux.HandleFunc("GET /v1/models", s.models)
	mux.HandleFunc("POST /v1/chat/completions", s.chat)
	s.Server = httptest.NewServer(mux)
	return s
}

// URL of the OpenAI-compatible API ("http://127.0.0.1:port/v1").
func (s *Server) APIURL() string { return s.URL + "/v1" }

// Requests returns every chat request received.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Calls is the number of chat requests received.
func (s *Server) Calls() int64 { return s.calls.Load() }

// PeakInFlight is the largest number of concurrent chat requests seen.
func (s *Server) PeakInFlight() int64 { return s.peak.Load() }

func (s *Server) models(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, 200, map[string]any{"object": "list", "data": []any{map[string]any{
		"id": s.o.Model, "object": "model", "owned_by": "vllm", "max_model_len": 8192}}})
}

func (s *Server) roll() float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rng.Float64()
}

func (s *Server) chat(w http.ResponseWriter, r *http.Request) {
	answerAt := time.Now().Add(s.o.Latency)
	call := s.calls.Add(1)
	n := s.inFlight.Add(1)
	defer s.inFlight.Add(-1)
	for {
		p := s.peak.Load()
		if n <= p || s.peak.CompareAndSwap(p, n) {
			break
		}
	}
	data, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	var req Request
	if err := json.Unmarshal(data, &req); err != nil {
		s.errorReply(w, 400, "BadRequestError", "invalid JSON body: "+err.Error(), "")
		return
	}
	req.body = data
	s.mu.Lock()
	s.requests = append(s.requests, req)
	s.mu.Unlock()
	if req.Model != s.o.Model {
		s.errorReply(w, 404, "NotFoundError", fmt.Sprintf("The model `%s` does not exist.", req.Model), "")
		return
	}
	if wait := time.Until(answerAt); s.o.Latency > 0 && wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return
		}
	}
	if s.o.Fail != 0 {
		s.errorReply(w, s.o.Fail, "InternalServerError", "scripted failure", "")
		return
	}
	if call <= int64(s.o.FailFirst) {
		s.errorReply(w, http.StatusInternalServerError, "InternalServerError", "scripted outage", "")
		return
	}
	f := s.o.Faults
	switch x := s.roll(); {
	case x < f.RateDrop:
		hj, ok := w.(http.Hijacker)
		if ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return
			}
		}
	case x < f.RateDrop+f.Rate429:
		s.errorReply(w, 429, "TooManyRequests", "rate limited", "0")
		return
	case x < f.RateDrop+f.Rate429+f.Rate5xx:
		status, retry := 500, ""
		if s.roll() < 0.5 {
			status, retry = 503, "0"
		}
		s.errorReply(w, status, "ServiceUnavailable", "engine overloaded", retry)
		return
	}
	text := ""
	if s.o.Responder != nil {
		text = s.o.Responder(req)
	}
	finish := "stop"
	if req.MaxTokens > 0 && len(text) > 4*req.MaxTokens {
		text, finish = text[:4*req.MaxTokens], "length"
	} else if s.roll() < f.RateTruncate && len(text) > 2 {
		text, finish = text[:len(text)/2], "length"
	}
	writeJSON(w, 200, Completion(s.o.Model, text, finish))
}

// Completion is a vLLM chat completion response body.
func Completion(model, text, finish string) map[string]any {
	return map[string]any{
		"id": "chatcmpl-" + Key(text)[:16], "object": "chat.completion", "created": 1764200000, "model": model,
		"choices": []any{map[string]any{"index": 0, "message": map[string]any{"role": "assistant", "content": text, "tool_calls": []any{}},
			"logprobs": nil, "finish_reason": finish, "stop_reason": nil}},
		"usage": map[string]any{"prompt_tokens": 300, "completion_tokens": len(text) / 4, "total_tokens": 300 + len(text)/4},
	}
}

func (s *Server) errorReply(w http.ResponseWriter, status int, typ, msg, retryAfter string) {
	if retryAfter != "" {
		w.Header().Set("Retry-After", retryAfter)
	}
	if s.o.Faults.FlatErrorBody {
		writeJSON(w, status, map[string]any{"object": "error", "message": msg, "type": typ, "param": nil, "code": status})
		return
	}
	writeJSON(w, status, map[string]any{"error": map[string]any{"message": msg, "type": typ, "param": nil, "code": status}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // the client may have gone
}

// RunBatch is a stand-in for `vllm run-batch`: it reads an OpenAI batch
// input file and writes the output file, answering each line with r.
func RunBatch(inPath, outPath, model string, r Responder) error {
	in, err := os.Open(inPath)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(outPath)
	if err != nil {
		return err
	}
	defer out.Close()
	w := bufio.NewWriter(out)
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 256<<20)
	for n := 0; sc.Scan(); n++ {
		var line struct {
			CustomID string          `json:"custom_id"`
			Body     json.RawMessage `json:"body"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			return fmt.Errorf("batch line %d: %w", n+1, err)
		}
		var req Request
		if err := json.Unmarshal(line.Body, &req); err != nil {
			return fmt.Errorf("batch line %d body: %w", n+1, err)
		}
		req.body = line.Body
		res := map[string]any{"id": fmt.Sprintf("vllm-%d", n), "custom_id": line.CustomID, "error": nil,
			"response": map[string]any{"status_code": 200, "request_id": fmt.Sprintf("vllm-batch-%d", n), "body": Completion(model, r(req), "stop")}}
		data, _ := json.Marshal(res)
		w.Write(append(data, '\n'))
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return w.Flush()
}
