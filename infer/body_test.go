package infer

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/cxrkit/cxrkit/infer/fakevllm"
	openai "github.com/sashabaranov/go-openai"
)

var update = flag.Bool("update", false, "rewrite golden files")

// testImage is a small stand-in for an encoded image.
func testImage() *Encoded {
	e := newEncoded("image/png", []byte("\x89PNG\r\n\x1a\n not really a png, any bytes <&> will do \x00\xff"), Size{Width: 3, Height: 2})
	return &e
}

func groundingLike(img *Encoded, temp, topP float32, format json.RawMessage) Request {
	seed := 0
	return Request{
		Messages:    []Message{{Role: "user", Parts: []Part{{Image: img}, {Text: "List the findings as <JSON> & boxes."}}}},
		Temperature: temp, TopP: topP, MaxTokens: 512, Seed: &seed, ResponseFormat: format,
	}
}

// legacyBody is the body the client sent before it built bodies itself:
// go-openai's marshalling, then "temperature":0 added when go-openai
// omitted it and the extra fields merged. It is the oracle the new body
// must equal as JSON.
func legacyBody(t *testing.T, model string, r Request, extra map[string]any) map[string]any {
	t.Helper()
	var msgs []openai.ChatCompletionMessage
	for _, m := range r.Messages {
		om := openai.ChatCompletionMessage{Role: m.Role, Content: m.Text}
		for _, p := range m.Parts {
			if p.Image != nil {
				om.MultiContent = append(om.MultiContent, openai.ChatMessagePart{Type: openai.ChatMessagePartTypeImageURL,
					ImageURL: &openai.ChatMessageImageURL{URL: p.Image.DataURL()}})
			} else {
				om.MultiContent = append(om.MultiContent, openai.ChatMessagePart{Type: openai.ChatMessagePartTypeText, Text: p.Text})
			}
		}
		msgs = append(msgs, om)
	}
	req := openai.ChatCompletionRequest{Model: model, Messages: msgs, Temperature: r.Temperature, TopP: r.TopP,
		MaxTokens: r.MaxTokens, Seed: r.Seed} //nolint:staticcheck // the peer is go-openai as vLLM reads it: max_tokens, not max_completion_tokens
	data, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	var body map[string]any
	if err := json.Unmarshal(data, &body); err != nil {
		t.Fatal(err)
	}
	if _, ok := body["temperature"]; !ok {
		body["temperature"] = 0.0
	}
	if r.ResponseFormat != nil {
		var rf any
		json.Unmarshal(r.ResponseFormat, &rf)
		body["response_format"] = rf
	}
	for k, v := range extra {
		body[k] = v
	}
	return roundTrip(t, body)
}

func roundTrip(t *testing.T, v any) map[string]any {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestBodyEqualsLegacyBody(t *testing.T) {
	seven := 7
	tests := []struct {
		name  string
		r     Request
		extra map[string]any
	}{
		{"grounding", groundingLike(testImage(), 0, 0, nil), nil},
		{"sampling attempt", groundingLike(testImage(), 0.4, 0.9, nil), nil},
		{"structured", groundingLike(testImage(), 0, 0, GroundingResponseFormat(1, true)), nil},
		{"extra body", groundingLike(testImage(), 0, 0, nil), map[string]any{"top_k": 1, "repetition_penalty": 1.05}},
		{"text", Request{Messages: []Message{UserText("Draft: \"no effusion\"\n<b>")}, MaxTokens: 64, Seed: &seven}, nil},
		{"no seed no max", Request{Messages: []Message{UserText("x")}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, err := requestBody("fake/medgemma-cxr", tt.r, tt.extra)
			if err != nil {
				t.Fatal(err)
			}
			var got map[string]any
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatalf("invalid JSON body: %v\n%s", err, body)
			}
			if want := legacyBody(t, "fake/medgemma-cxr", tt.r, tt.extra); !reflect.DeepEqual(got, want) {
				t.Fatalf("body differs from the legacy body\n got %v\nwant %v", got, want)
			}
			if _, ok := got["temperature"]; !ok {
				t.Fatal("temperature missing")
			}
		})
	}
}

// TestBodyGolden pins the exact bytes (field order included) of a
// grounding request body.
func TestBodyGolden(t *testing.T) {
	r := groundingLike(testImage(), 0, 0, nil)
	r.Fields = []Field{{Name: "guided_json", Value: json.RawMessage(`{"type":"array"}`)}}
	body, err := requestBody("fake/medgemma-cxr", r, map[string]any{"top_k": 1, "min_p": 0})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "grounding_body.golden.json")
	if *update {
		os.WriteFile(path, append(body, '\n'), 0o644)
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(body)+"\n" != string(want) {
		t.Fatalf("body\n%s\nwant\n%s", body, want)
	}
}

func TestBodyStreamedEqualsAppended(t *testing.T) {
	big := newEncoded("image/png", bytes.Repeat([]byte{1, 2, 3, 4, 5, 6, 7}, 100_001), Size{Width: 1, Height: 1})
	r := groundingLike(&big, 0, 0, nil)
	appended, err := requestBody("m", r, nil)
	if err != nil {
		t.Fatal(err)
	}
	var streamed bytes.Buffer
	if err := writeBody(&streamed, "m", r, nil, false); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(appended, streamed.Bytes()) {
		t.Fatalf("streamed body (%d bytes) differs from the appended one (%d bytes)", streamed.Len(), len(appended))
	}
	if !strings.Contains(string(appended), `"url":"`+big.DataURL()+`"`) {
		t.Fatal("image data URL not in the body")
	}
}

func TestBodyRejectsInvalidJSONFields(t *testing.T) {
	r := Request{Messages: []Message{UserText("x")}, ResponseFormat: json.RawMessage(`{"type":`)}
	if _, err := requestBody("m", r, nil); err == nil {
		t.Fatal("invalid response_format accepted")
	}
	r = Request{Messages: []Message{UserText("x")}}
	if _, err := requestBody("m", r, map[string]any{"bad": func() {}}); err == nil {
		t.Fatal("unmarshallable extra field accepted")
	}
}

func TestRequestKey(t *testing.T) {
	a, b := testImage(), newEncoded("image/png", []byte("another image"), Size{Width: 3, Height: 2})
	base := RequestKey("m", groundingLike(a, 0, 0, nil), nil)
	same := RequestKey("m", groundingLike(testImage(), 0, 0, nil), nil)
	if base != same {
		t.Fatal("identical requests have different keys")
	}
	for name, k := range map[string]string{
		"image":  RequestKey("m", groundingLike(&b, 0, 0, nil), nil),
		"model":  RequestKey("m2", groundingLike(a, 0, 0, nil), nil),
		"temp":   RequestKey("m", groundingLike(a, 0.4, 0, nil), nil),
		"format": RequestKey("m", groundingLike(a, 0, 0, GroundingResponseFormat(1, true)), nil),
		"extra":  RequestKey("m", groundingLike(a, 0, 0, nil), map[string]any{"top_k": 1}),
	} {
		if k == base {
			t.Errorf("a different %s gives the same key", name)
		}
	}
}

// TestClientSendsImageBody checks, on the wire, a grounding request: the
// image as a data URL of its exact bytes, the prompt, and the sampling
// fields that must always be explicit.
func TestClientSendsImageBody(t *testing.T) {
	s := fakevllm.New(fakevllm.Options{Responder: echo})
	defer s.Close()
	c := newTestClient(t, ClientOptions{Retries: NoRetries}, s)
	img := testImage()
	if _, err := c.Chat(context.Background(), groundingLike(img, 0, 0, nil)); err != nil {
		t.Fatal(err)
	}
	req := s.Requests()[0]
	if got := req.Messages[0].ImageURL(); got != img.DataURL() {
		t.Fatalf("image URL %.60q, want %.60q", got, img.DataURL())
	}
	raw := req.Raw()
	if raw["temperature"] != 0.0 || raw["seed"] != 0.0 || raw["max_tokens"] != 512.0 || raw["stream"] != false {
		t.Fatalf("sampling fields %v", raw)
	}
	if req.Text() != "List the findings as <JSON> & boxes." {
		t.Fatalf("prompt %q", req.Text())
	}
}

// TestSentBodyEqualsAppended checks that the body the client sends,
// read in reads of any size, is byte for byte the body appendBody builds
// (the one the batch recorder writes and earlier clients sent), for
// images of every length modulo 3, several images, a file URL and extra
// fields.
func TestSentBodyEqualsAppended(t *testing.T) {
	seed := 7
	for _, n := range []int{0, 1, 2, 3, 4, 5, 100_001, 100_002} {
		img := newEncoded("image/png", bytes.Repeat([]byte{9, 8, 7, 6, 5, 4, 3}, n)[:n], Size{Width: 1, Height: 1})
		url := img
		url.URL = "file:///tmp/x&y.png"
		reqs := map[string]Request{
			"grounding": groundingLike(&img, 0, 0.9, GroundingResponseFormat(1, true)),
			"two images": {Messages: []Message{{Role: "system", Text: "s"}, {Role: "user", Parts: []Part{
				{Image: &img}, {Text: "a"}, {Image: testImage()}, {Image: &url}}}},
				MaxTokens: 3, Seed: &seed, Fields: []Field{{Name: "guided", Value: json.RawMessage(`{"a":1}`)}}},
		}
		for name, r := range reqs {
			extra := map[string]any{"top_k": 1}
			want, err := requestBody("m", r, extra)
			if err != nil {
				t.Fatal(err)
			}
			b, err := newSentBody("m", r, extra)
			if err != nil {
				t.Fatal(err)
			}
			if b.size != int64(len(want)) {
				t.Fatalf("%s n=%d: size %d, want %d", name, n, b.size, len(want))
			}
			if err := iotest.TestReader(b.reader(), want); err != nil {
				t.Fatalf("%s n=%d: %v", name, n, err)
			}
			for _, chunk := range []int{1, 2, 3, 4, 5, 7, 4096} {
				got, err := io.ReadAll(io.LimitReader(readChunks{b.reader(), chunk}, int64(len(want))+10))
				if err != nil || !bytes.Equal(got, want) {
					t.Fatalf("%s n=%d chunk %d: sent body differs (%d bytes, want %d), %v", name, n, chunk, len(got), len(want), err)
				}
			}
		}
	}
}

// readChunks reads at most n bytes at a time.
type readChunks struct {
	r io.Reader
	n int
}

func (c readChunks) Read(p []byte) (int, error) { return c.r.Read(p[:min(len(p), c.n)]) }

func TestSentBodyRejectsInvalidJSONFields(t *testing.T) {
	r := Request{Messages: []Message{UserText("x")}, ResponseFormat: json.RawMessage(`{"type":`)}
	if _, err := newSentBody("m", r, nil); err == nil {
		t.Fatal("invalid response_format accepted")
	}
}
