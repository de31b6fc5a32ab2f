package infer

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

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

// TestBodyBase64MadeAhead checks that an image whose base64 was made
// ahead (by Prepare) gives the same bytes on the wire, streamed or
// appended, and the same request key, as one encoded while sending.
func TestBodyBase64MadeAhead(t *testing.T) {
	for _, n := range []int{0, 1, 2, 3, 100_001} {
		raw := newEncoded("image/png", bytes.Repeat([]byte{9, 8, 7, 6, 5, 4, 3}, n)[:n], Size{Width: 1, Height: 1})
		ahead := raw.withBase64()
		if ahead.Data != nil || ahead.b64 == nil {
			t.Fatalf("n=%d: withBase64 kept the bytes or made no base64", n)
		}
		want, err := requestBody("m", groundingLike(&raw, 0, 0, nil), nil)
		if err != nil {
			t.Fatal(err)
		}
		got, err := requestBody("m", groundingLike(&ahead, 0, 0, nil), nil)
		if err != nil {
			t.Fatal(err)
		}
		var streamed bytes.Buffer
		if err := writeBody(&streamed, "m", groundingLike(&ahead, 0, 0, nil), nil, false); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) || !bytes.Equal(streamed.Bytes(), want) {
			t.Fatalf("n=%d: body with base64 made ahead differs (%d/%d bytes, want %d)", n, len(got), streamed.Len(), len(want))
		}
		if ahead.DataURL() != raw.DataURL() {
			t.Fatalf("n=%d: data URL differs", n)
		}
		if RequestKey("m", groundingLike(&ahead, 0, 0, nil), nil) != RequestKey("m", groundingLike(&raw, 0, 0, nil), nil) {
			t.Fatalf("n=%d: request key differs", n)
		}
	}
}
