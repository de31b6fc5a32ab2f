package infer

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
)

// bodyPatcher wraps the HTTP client go-openai uses. go-openai drops a zero
// temperature (omitempty) and has no way to send extra fields, so the
// patcher rewrites the JSON body: it sets "temperature": 0 when absent and
// merges the configured extra fields (vLLM sampling options). It also
// rewrites vLLM's older flat error body ({"object":"error","message":...})
// into the {"error":{...}} shape go-openai understands, and records the
// Retry-After header for the retry loop.
type bodyPatcher struct {
	next  *http.Client
	extra map[string]any
}

type retryAfterKey struct{}

// retryHint carries a response's Retry-After back to the retry loop.
type retryHint struct{ after string }

func withRetryHint(ctx context.Context) (context.Context, *retryHint) {
	h := &retryHint{}
	return context.WithValue(ctx, retryAfterKey{}, h), h
}

func (p *bodyPatcher) Do(req *http.Request) (*http.Response, error) {
	if req.Body != nil && req.Method == http.MethodPost {
		data, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		data = spliceBody(data, p.extra)
		req.Body = io.NopCloser(bytes.NewReader(data))
		req.ContentLength = int64(len(data))
		req.Header.Set("Content-Length", strconv.Itoa(len(data)))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
	}
	resp, err := p.next.Do(req)
	if err != nil || resp.StatusCode < 400 {
		return resp, err
	}
	if h, ok := req.Context().Value(retryAfterKey{}).(*retryHint); ok {
		h.after = resp.Header.Get("Retry-After")
	}
	data, rerr := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	if rerr == nil {
		data = nestErrorBody(data)
	}
	resp.Body = io.NopCloser(bytes.NewReader(data))
	resp.ContentLength = int64(len(data))
	return resp, nil
}

// spliceBody patches a go-openai request body without parsing it (bodies
// carry megabytes of base64 image): go-openai always omits a zero
// temperature (omitempty), so a body without the key gets
// "temperature":0 after its opening brace; extra fields go before the
// closing brace, where they win over go-openai's own on the servers'
// last-key-wins JSON readers. A body that is not one JSON object falls
// back to patchBody.
func spliceBody(data []byte, extra map[string]any) []byte {
	body := bytes.TrimSpace(data)
	if len(body) < 2 || body[0] != '{' || body[len(body)-1] != '}' {
		return patchBody(data, extra)
	}
	var head, tail []byte
	if !hasTopLevelTemperature(body) {
		head = []byte(`"temperature":0`)
	}
	if len(extra) > 0 {
		ex, err := json.Marshal(extra)
		if err != nil || len(ex) < 2 {
			return patchBody(data, extra)
		}
		tail = ex[1 : len(ex)-1]
	}
	inner := bytes.TrimSpace(body[1 : len(body)-1])
	out := make([]byte, 0, len(body)+len(head)+len(tail)+4)
	out = append(out, '{')
	parts := [][]byte{head, inner, tail}
	first := true
	for _, p := range parts {
		if len(p) == 0 {
			continue
		}
		if !first {
			out = append(out, ',')
		}
		out = append(out, p...)
		first = false
	}
	return append(out, '}')
}

// hasTopLevelTemperature scans the body's top-level keys (skipping string
// contents and nested values) for "temperature".
func hasTopLevelTemperature(body []byte) bool {
	depth := 0
	var quotes stringTracker
	keyStart := -1
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch quotes.step(c) {
		case openQuote:
			if depth == 1 {
				keyStart = i + 1
			}
			continue
		case closeQuote:
			if keyStart >= 0 && string(body[keyStart:i]) == "temperature" {
				rest := bytes.TrimLeft(body[i+1:], " \t\r\n")
				if len(rest) > 0 && rest[0] == ':' {
					return true
				}
			}
			keyStart = -1
			continue
		case insideString:
			continue
		}
		switch c {
		case '{', '[':
			depth++
		case '}', ']':
			depth--
		}
	}
	return false
}

// patchBody sets "temperature": 0 when the body has none and merges the
// extra fields; a body that is not a JSON object passes unchanged.
func patchBody(data []byte, extra map[string]any) []byte {
	var body map[string]any
	if json.Unmarshal(data, &body) != nil {
		return data
	}
	if _, ok := body["temperature"]; !ok {
		body["temperature"] = 0
	}
	for k, v := range extra {
		body[k] = v
	}
	patched, err := json.Marshal(body)
	if err != nil {
		return data
	}
	return patched
}

// nestErrorBody turns {"object":"error","message":...} into
// {"error":{"message":...}}; other bodies pass unchanged.
func nestErrorBody(data []byte) []byte {
	var flat map[string]any
	if json.Unmarshal(data, &flat) != nil {
		return data
	}
	if _, nested := flat["error"]; nested {
		return data
	}
	if flat["object"] != "error" && flat["message"] == nil && flat["detail"] == nil {
		return data
	}
	if flat["message"] == nil {
		flat["message"] = flat["detail"]
	}
	delete(flat, "object")
	out, err := json.Marshal(map[string]any{"error": flat})
	if err != nil {
		return data
	}
	return out
}
