package infer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// ErrResponseTooLarge reports an endpoint answer longer than
// MaxResponseBytes: an error for that case, not retried.
var ErrResponseTooLarge = errors.New("endpoint response too large")

// completion is the part of a chat completion response cxrkit reads.
type completion struct {
	Model   string `json:"model"`
	Choices []struct {
		Message struct {
			Content string `json:"content"`
		} `json:"message"`
		FinishReason string `json:"finish_reason"`
	} `json:"choices"`
}

// post sends one chat completion body and decodes the answer. An HTTP
// error comes back as a *StatusError with the server's message, and the
// Retry-After header for the retry loop.
func (c *Client) post(ctx context.Context, url string, body *sentBody) (completion, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, body.reader())
	if err != nil {
		return completion{}, "", err
	}
	req.ContentLength = body.size
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(body.reader()), nil }
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	c.authorize(req)
	resp, err := c.opts.HTTPClient.Do(req)
	if err != nil {
		return completion{}, "", err
	}
	defer resp.Body.Close()
	data, err := readBounded(resp.Body, c.opts.MaxResponseBytes)
	if err != nil {
		return completion{}, "", err
	}
	if resp.StatusCode >= 400 {
		return completion{}, resp.Header.Get("Retry-After"), statusError(resp.StatusCode, data)
	}
	var out completion
	if err := json.Unmarshal(data, &out); err != nil {
		if !looksLikeJSON(data) {
			return completion{}, "", fmt.Errorf("%w (Content-Type %q; is --endpoint the server's /v1 URL?)", ErrNotJSON, resp.Header.Get("Content-Type"))
		}
		return completion{}, "", fmt.Errorf("%w: %w", errMalformedResponse, err)
	}
	return out, "", nil
}

// looksLikeJSON reports whether a body starts like a JSON object or
// array, so a cut-short answer can be told from an HTML page.
func looksLikeJSON(data []byte) bool {
	data = bytes.TrimLeft(data, " \t\r\n")
	return len(data) > 0 && (data[0] == '{' || data[0] == '[')
}

// get checks that a GET answers 2xx (the health check's /models).
func (c *Client) get(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	c.authorize(req)
	resp, err := c.opts.HTTPClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := readBounded(resp.Body, c.opts.MaxResponseBytes)
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		return statusError(resp.StatusCode, data)
	}
	return nil
}

func (c *Client) authorize(req *http.Request) {
	if c.opts.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+c.opts.APIKey)
	}
}

// readBounded reads a response body of at most limit bytes; a longer
// (or never-ending) one is refused after limit+1 bytes.
func readBounded(r io.Reader, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%w: more than %d MB (--max-response-mb)", ErrResponseTooLarge, limit>>20)
	}
	if err != nil {
		return nil, err
	}
	return data, nil
}

// statusError reads the server's message from an error body in any of
// the shapes OpenAI-compatible servers use: {"error":{"message":…}},
// {"error":"…"}, vLLM's older flat {"object":"error","message":…} and
// {"detail":…}.
func statusError(status int, data []byte) *StatusError {
	var body struct {
		Error   json.RawMessage `json:"error"`
		Message any             `json:"message"`
		Detail  any             `json:"detail"`
	}
	msg := ""
	if json.Unmarshal(data, &body) == nil {
		var nested struct {
			Message any `json:"message"`
		}
		var s string
		switch {
		case json.Unmarshal(body.Error, &nested) == nil && nested.Message != nil:
			msg = text(nested.Message)
		case json.Unmarshal(body.Error, &s) == nil:
			msg = s
		case body.Message != nil:
			msg = text(body.Message)
		case body.Detail != nil:
			msg = text(body.Detail)
		}
	} else {
		msg = strings.TrimSpace(string(data))
	}
	if len(msg) > 300 {
		msg = msg[:300] + "..."
	}
	return &StatusError{Status: status, Message: msg}
}

// text renders a message field that may be a string or any JSON value.
func text(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	data, _ := json.Marshal(v)
	return string(data)
}
