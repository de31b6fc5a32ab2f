package infer

import (
	"crypto/sha256"
	"encoding/json"
	"image"
)

// Request is one chat completion request, as cxrkit sends it. Its JSON
// body is written by writeBody in one pass; nothing else marshals it.
type Request struct {
	Messages []Message
	// Temperature is always sent, 0 included (servers default to 1).
	Temperature float32
	// TopP is sent when set.
	TopP      float32
	MaxTokens int
	Seed      *int
	// ResponseFormat, when set, is sent as "response_format" (a JSON value).
	ResponseFormat json.RawMessage
	// Fields are further top-level body fields, sent in order after the
	// standard ones and before the client's extra body: the extension
	// point for what a model profile adds (guided decoding, chat template
	// options).
	Fields []Field
}

// Field is one top-level request body field; Value is JSON.
type Field struct {
	Name  string
	Value json.RawMessage
}

// Message is one chat message: Text alone is sent as a string content,
// Parts as a list of text and image parts.
type Message struct {
	Role  string
	Text  string
	Parts []Part
}

// Part is one part of a message: text, or an image when Image is set.
type Part struct {
	Text  string
	Image *Encoded
}

// UserText is a user message with plain text content.
func UserText(s string) Message { return Message{Role: "user", Text: s} }

// Encoded is an image ready to send: its bytes and type, the size the
// model sees (for pixel-scale boxes) and the sha256 of the bytes, which
// stands for the image in request keys so a key costs no base64 or
// hashing of megabytes per request.
type Encoded struct {
	MIME   string
	Data   []byte
	Sent   Size
	Digest [sha256.Size]byte
	// Inner is where the original image sits in the sent one when it was
	// padded to a square (pixels of the sent image); empty when the sent
	// image is the original.
	Inner image.Rectangle
	// URL, when set, is sent instead of the bytes (a file:// URL of a
	// file holding exactly them, for vllm run-batch); request keys still
	// use Digest, so the same image has one key however it travels.
	URL string
}

// newEncoded wraps image bytes, hashing them once.
func newEncoded(mime string, data []byte, sent Size) Encoded {
	return Encoded{MIME: mime, Data: data, Sent: sent, Digest: sha256.Sum256(data)}
}

// DataURL is the image as a data URL string (for callers that need one;
// request bodies stream the base64 instead).
func (e Encoded) DataURL() string {
	return string(appendDataURL(nil, e))
}
