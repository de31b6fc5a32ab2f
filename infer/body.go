package infer

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
)

// The request body is written in one pass, straight from the request:
// the image's base64 is encoded into the body as it is written, never
// held as a data URL string, marshalled, scanned or patched. Field order
// is fixed:
//
//	{"model":…,"messages":[…],"max_tokens":N,"temperature":T,"top_p":P,
//	 "stream":false,"response_format":…,"seed":S,<Fields…>,<extra…>}
//
// temperature is always present (0 included); max_tokens, top_p,
// response_format and seed only when set. The client's extra body fields
// come last, in key order, so they win on servers whose JSON readers keep
// the last of a repeated key.

// appendBody appends the JSON body of r for model.
func appendBody(dst []byte, model string, r Request, extra map[string]any) ([]byte, error) {
	w := &appendWriter{b: dst}
	err := writeBody(w, model, r, extra, false)
	return w.b, err
}

// requestBody is the body of r, in a buffer sized for its images.
func requestBody(model string, r Request, extra map[string]any) ([]byte, error) {
	n := 1024
	for _, m := range r.Messages {
		n += len(m.Text)
		for _, p := range m.Parts {
			n += len(p.Text) + 64
			if p.Image != nil {
				n += base64.StdEncoding.EncodedLen(len(p.Image.Data))
			}
		}
	}
	return appendBody(make([]byte, 0, n), model, r, extra)
}

// RequestKey is the content address of a request: the sha256 of its body
// with each image written as the sha256 of its bytes. Any change of
// model, prompt, image, sampling or extra field is a different key.
func RequestKey(model string, r Request, extra map[string]any) string {
	h := sha256.New()
	_ = writeBody(h, model, r, extra, true) // a hash never fails to write
	return hex.EncodeToString(h.Sum(nil))
}

// writeBody writes the body to w. keyed writes each image as its digest
// instead of its base64 (for RequestKey).
func writeBody(w io.Writer, model string, r Request, extra map[string]any, keyed bool) error {
	b := &bodyWriter{w: w}
	b.raw(`{"model":`)
	b.str(model)
	b.raw(`,"messages":[`)
	for i, m := range r.Messages {
		if i > 0 {
			b.raw(",")
		}
		b.message(m, keyed)
	}
	b.raw("]")
	if r.MaxTokens > 0 {
		b.raw(`,"max_tokens":`)
		b.raw(strconv.Itoa(r.MaxTokens))
	}
	b.raw(`,"temperature":`)
	b.float(r.Temperature)
	if r.TopP != 0 {
		b.raw(`,"top_p":`)
		b.float(r.TopP)
	}
	b.raw(`,"stream":false`)
	if len(r.ResponseFormat) > 0 {
		b.raw(`,"response_format":`)
		b.json(r.ResponseFormat)
	}
	if r.Seed != nil {
		b.raw(`,"seed":`)
		b.raw(strconv.Itoa(*r.Seed))
	}
	for _, f := range r.Fields {
		b.raw(",")
		b.str(f.Name)
		b.raw(":")
		b.json(f.Value)
	}
	for _, k := range slices.Sorted(maps.Keys(extra)) {
		v, err := json.Marshal(extra[k])
		if err != nil {
			return fmt.Errorf("extra body field %q: %w", k, err)
		}
		b.raw(",")
		b.str(k)
		b.raw(":")
		b.raw(string(v))
	}
	b.raw("}")
	return b.err
}

// bodyWriter writes JSON pieces, keeping the first error.
type bodyWriter struct {
	w   io.Writer
	err error
	tmp []byte
}

func (b *bodyWriter) write(p []byte) {
	if b.err == nil {
		_, b.err = b.w.Write(p)
	}
}

func (b *bodyWriter) raw(s string) {
	b.tmp = append(b.tmp[:0], s...)
	b.write(b.tmp)
}

// str writes a JSON string as encoding/json escapes it.
func (b *bodyWriter) str(s string) {
	q, _ := json.Marshal(s) // a string always marshals
	b.write(q)
}

// json writes a JSON value; an invalid one is an error, not a broken body.
func (b *bodyWriter) json(v json.RawMessage) {
	if !json.Valid(v) {
		if b.err == nil {
			b.err = fmt.Errorf("request field is not valid JSON: %.40q", v)
		}
		return
	}
	b.write(v)
}

// float writes a sampling parameter the way encoding/json writes a
// float32 (0.4, not 0.4000000059604645).
func (b *bodyWriter) float(f float32) {
	b.tmp = strconv.AppendFloat(b.tmp[:0], float64(f), 'g', -1, 32)
	b.write(b.tmp)
}

func (b *bodyWriter) message(m Message, keyed bool) {
	b.raw(`{"role":`)
	b.str(m.Role)
	b.raw(`,"content":`)
	if m.Parts == nil {
		b.str(m.Text)
		b.raw("}")
		return
	}
	b.raw("[")
	for i, p := range m.Parts {
		if i > 0 {
			b.raw(",")
		}
		if p.Image == nil {
			b.raw(`{"type":"text","text":`)
			b.str(p.Text)
			b.raw("}")
			continue
		}
		b.raw(`{"type":"image_url","image_url":{"url":"`)
		switch {
		case keyed:
			b.raw("sha256:" + p.Image.MIME + ":" + hex.EncodeToString(p.Image.Digest[:]))
		case p.Image.URL != "":
			q, _ := json.Marshal(p.Image.URL) // a string always marshals
			b.write(q[1 : len(q)-1])
		default:
			b.dataURL(*p.Image)
		}
		b.raw(`"}}`)
	}
	b.raw("]}")
}

// dataURL streams the image as a data URL: base64 of 48 KiB at a time,
// so no copy of the encoded image is ever held.
func (b *bodyWriter) dataURL(e Encoded) {
	if aw, ok := b.w.(*appendWriter); ok && b.err == nil {
		aw.b = appendDataURL(aw.b, e)
		return
	}
	b.raw("data:" + e.MIME + ";base64,")
	if pw, ok := b.w.(*pieceWriter); ok && b.err == nil {
		pw.image(e)
		return
	}
	const chunk = 48 << 10 // a multiple of 3: no padding mid-stream
	buf := make([]byte, base64.StdEncoding.EncodedLen(chunk))
	for data := e.Data; len(data) > 0 && b.err == nil; {
		n := min(chunk, len(data))
		base64.StdEncoding.Encode(buf, data[:n])
		b.write(buf[:base64.StdEncoding.EncodedLen(n)])
		data = data[n:]
	}
}

func appendDataURL(dst []byte, e Encoded) []byte {
	dst = append(dst, "data:"...)
	dst = append(dst, e.MIME...)
	dst = append(dst, ";base64,"...)
	return base64.StdEncoding.AppendEncode(dst, e.Data)
}

// appendWriter is an io.Writer appending to a slice.
type appendWriter struct{ b []byte }

func (a *appendWriter) Write(p []byte) (int, error) {
	a.b = append(a.b, p...)
	return len(p), nil
}
