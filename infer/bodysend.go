package infer

import (
	"encoding/base64"
	"io"
)

// sentBody is a request body as the client sends it: the JSON text with
// each image's bytes beside it, their base64 written as the body is read.
// Building it copies no image and sending it encodes each image once,
// straight into the transport's buffer: no base64 copy of the image, and
// no body-sized buffer, is ever held. Its bytes are appendBody's.
type sentBody struct {
	pieces []bodyPiece
	size   int64
}

// bodyPiece is JSON text followed by the bytes of an image (nil for the
// last piece), written as base64.
type bodyPiece struct {
	text, image []byte
}

// newSentBody builds the body of r for model.
func newSentBody(model string, r Request, extra map[string]any) (*sentBody, error) {
	w := &pieceWriter{}
	if err := writeBody(w, model, r, extra, false); err != nil {
		return nil, err
	}
	b := &sentBody{pieces: w.pieces}
	b.pieces = append(b.pieces, bodyPiece{text: w.text[w.start:]})
	for _, p := range b.pieces {
		b.size += int64(len(p.text)) + int64(base64.StdEncoding.EncodedLen(len(p.image)))
	}
	return b, nil
}

// reader reads the body from its start; each attempt gets its own.
func (b *sentBody) reader() io.Reader { return &bodyReader{pieces: b.pieces} }

// pieceWriter collects writeBody's text, cutting it where an image goes.
type pieceWriter struct {
	text   []byte
	start  int // where the current piece's text starts
	pieces []bodyPiece
}

func (w *pieceWriter) Write(p []byte) (int, error) {
	w.text = append(w.text, p...)
	return len(p), nil
}

// image ends the current piece with e's bytes. Earlier pieces keep their
// text: later appends may move w.text, never change what was written.
func (w *pieceWriter) image(e Encoded) {
	w.pieces = append(w.pieces, bodyPiece{text: w.text[w.start:len(w.text):len(w.text)], image: e.Data})
	w.start = len(w.text)
}

// bodyReader reads a sentBody, encoding images to base64 as it goes.
type bodyReader struct {
	pieces []bodyPiece
	text   int // bytes of pieces[0].text read
	image  int // bytes of pieces[0].image encoded (a multiple of 3 until the end)
	quad   [4]byte
	rest   []byte // encoded base64 not yet read (a read ended mid-quantum)
}

func (r *bodyReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if len(r.rest) > 0 {
			c := copy(p[n:], r.rest)
			r.rest = r.rest[c:]
			n += c
			continue
		}
		if len(r.pieces) == 0 {
			break
		}
		pc := r.pieces[0]
		if r.text < len(pc.text) {
			c := copy(p[n:], pc.text[r.text:])
			r.text += c
			n += c
			continue
		}
		src := pc.image[r.image:]
		if len(src) == 0 {
			r.pieces, r.text, r.image = r.pieces[1:], 0, 0
			continue
		}
		k := min(len(src), (len(p)-n)/4*3)
		if k == 0 { // less than one quantum of room
			k = min(3, len(src))
			base64.StdEncoding.Encode(r.quad[:], src[:k])
			r.rest = r.quad[:base64.StdEncoding.EncodedLen(k)]
			r.image += k
			continue
		}
		base64.StdEncoding.Encode(p[n:], src[:k])
		n += base64.StdEncoding.EncodedLen(k)
		r.image += k
	}
	if n == 0 && len(p) > 0 {
		return 0, io.EOF
	}
	return n, nil
}
