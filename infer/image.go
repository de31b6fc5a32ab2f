package infer

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/boxes"
	"github.com/cxrkit/cxrkit/imaging"
)

// ImageOptions say how an image is prepared for the model.
type ImageOptions struct {
	// MaxSide bounds the long side of the image sent (0: no bound); a
	// larger image is decoded, scaled down and sent as PNG.
	MaxSide int
	// ServerResizes sends PNG and JPEG files as they are, whatever their
	// size: the endpoint's own image processor resizes every image to its
	// input size anyway, so the client decodes and scales nothing. Pixel
	// boxes are then read against the file's own size.
	ServerResizes bool
	// PadToSquare fits the image to MaxSide, then centres it on a black
	// square, as MedGemma's own notebooks do before asking for boxes;
	// boxes the model draws on the square map back with ToOriginal. The
	// image is always decoded (ServerResizes does not apply).
	PadToSquare bool
	// Budget bounds reading and decoding (zero: imaging.Defaults).
	Budget imaging.Options
}

// EncodeImage prepares an image to send. A PNG or JPEG already small
// enough (or any PNG or JPEG with ServerResizes) is sent as it is, without
// decoding; anything else (larger images, DICOM, square padding) is
// decoded, scaled and sent as PNG. Reading and decoding stay within the
// budget (regular files only, declared size checked before decoding) and
// stop when ctx is done.
func EncodeImage(ctx context.Context, ref cxrkit.ImageRef, o ImageOptions) (Encoded, error) {
	if ref.Data != nil {
		return encodeBytes(ctx, ref, ref.Data, o, false)
	}
	if ref.Path == "" {
		return Encoded{}, &ImageError{Key: ref.Key(), Err: ErrNoImagePath}
	}
	if o.ServerResizes || o.MaxSide <= 0 && !o.PadToSquare {
		// Most likely sent as read: the bytes are the Encoded's own.
		data, err := o.Budget.ReadFile(ref.Path)
		if err != nil {
			return Encoded{}, &ImageError{Key: ref.Key(), Err: err}
		}
		return encodeBytes(ctx, ref, data, o, false)
	}
	// Most likely decoded and scaled: the file's bytes are only lent.
	var enc Encoded
	err := o.Budget.LendFile(ref.Path, func(data []byte) error {
		var err error
		enc, err = encodeBytes(ctx, ref, data, o, true)
		return err
	})
	var ie *ImageError
	if err != nil && !errors.As(err, &ie) {
		err = &ImageError{Key: ref.Key(), Err: err}
	}
	return enc, err
}

// encodeBytes is EncodeImage for the image's bytes; lent bytes are copied
// if they are sent as they are.
func encodeBytes(ctx context.Context, ref cxrkit.ImageRef, data []byte, o ImageOptions, lent bool) (Encoded, error) {
	budget := o.Budget
	format := imaging.Sniff(data[:min(len(data), 132)])
	if (format == imaging.PNG || format == imaging.JPEG) && !o.PadToSquare {
		s, err := budget.ProbeReader(bytes.NewReader(data))
		if err != nil {
			return Encoded{}, &ImageError{Key: ref.Key(), Err: err}
		}
		if o.ServerResizes || o.MaxSide <= 0 || max(s.Width, s.Height) <= o.MaxSide {
			mime := "image/png"
			if format == imaging.JPEG {
				mime = "image/jpeg"
			}
			if lent {
				data = bytes.Clone(data)
			}
			return newEncoded(mime, data, Size(s)), nil
		}
	}
	if !o.PadToSquare {
		// Decoded and scaled in reused buffers: the same bytes as below.
		png, sent, err := budget.FitPNG(ctx, data, o.MaxSide)
		if err != nil {
			return Encoded{}, &ImageError{Key: ref.Key(), Err: err}
		}
		return newEncoded("image/png", png, Size(sent)), nil
	}
	img, _, err := budget.Decode(ctx, bytes.NewReader(data))
	if err != nil {
		return Encoded{}, &ImageError{Key: ref.Key(), Err: err}
	}
	img = imaging.FitLongSide(img, o.MaxSide)
	var inner image.Rectangle
	if o.PadToSquare {
		img, inner = imaging.PadToSquare(img)
	}
	png, err := imaging.PNGBytes(img, true)
	if err != nil {
		return Encoded{}, &ImageError{Key: ref.Key(), Err: err}
	}
	b := img.Bounds()
	enc := newEncoded("image/png", png, Size{Width: b.Dx(), Height: b.Dy()})
	enc.Inner = inner
	return enc, nil
}

// ToOriginal maps a box on the sent image (fractions of it) to fractions
// of the original image, undoing square padding. ok is false when the box
// lies wholly in the padding.
func (e Encoded) ToOriginal(b boxes.Box) (boxes.Box, bool) {
	if e.Inner.Empty() || e.Sent.Width <= 0 || e.Sent.Height <= 0 {
		return b, true
	}
	sw, sh := float64(e.Sent.Width), float64(e.Sent.Height)
	iw, ih := float64(e.Inner.Dx()), float64(e.Inner.Dy())
	x := func(v float64) float64 { return (v*sw - float64(e.Inner.Min.X)) / iw }
	y := func(v float64) float64 { return (v*sh - float64(e.Inner.Min.Y)) / ih }
	out := boxes.Box{Y0: y(b.Y0), X0: x(b.X0), Y1: y(b.Y1), X1: x(b.X1)}.Clamp()
	return out, out.Area() > 0
}

// imageCacheKey identifies an image file by path, size and modification
// time; uploads (bytes) are not cached. A member's archive is looked up
// through budget.Archives, so the key costs no archive open of its own.
func imageCacheKey(ref cxrkit.ImageRef, budget imaging.Options) string {
	if ref.Data != nil || ref.Path == "" {
		return ""
	}
	st, err := budget.Stat(ref.Path)
	if err != nil {
		return ""
	}
	return fmt.Sprintf("%s|%d|%d", ref.Path, st.Size(), st.ModTime().UnixNano())
}

// ErrNoImagePath marks a case whose image has no file path.
var ErrNoImagePath = errors.New("no image path (give image_path in the case or --corpus with image paths)")

// ImageError is an image that could not be read or encoded. Its Reason
// leaves out the image, so a summary counts images per cause.
type ImageError struct {
	Key string
	Err error
}

func (e *ImageError) Error() string { return "image " + e.Key + ": " + e.Err.Error() }
func (e *ImageError) Unwrap() error { return e.Err }

// Reason implements cxrkit.Reasoner.
func (e *ImageError) Reason() string {
	switch {
	case errors.Is(e.Err, ErrNoImagePath):
		return ErrNoImagePath.Error()
	case errors.Is(e.Err, os.ErrNotExist):
		return "image file not found"
	}
	var pe *fs.PathError
	if errors.As(e.Err, &pe) {
		return "unreadable image: " + pe.Err.Error()
	}
	return "unreadable image: " + e.Err.Error()
}

// asFileURL writes the image's bytes to dir, named by their sha256
// (written once, atomically), and sends it as the file:// URL of that
// file instead of base64: the model sees the same bytes either way.
func asFileURL(enc Encoded, dir string) (Encoded, error) {
	ext := ".png"
	if enc.MIME == "image/jpeg" {
		ext = ".jpg"
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return enc, err
	}
	path := filepath.Join(abs, hex.EncodeToString(enc.Digest[:])+ext)
	if _, err := os.Stat(path); err != nil {
		if err := os.MkdirAll(abs, 0o755); err != nil {
			return enc, err
		}
		data := enc.Data
		err := cxrkit.WriteFileAtomic(path, func(w *bufio.Writer) error { _, err := w.Write(data); return err })
		if err != nil {
			return enc, err
		}
	}
	enc.URL = (&url.URL{Scheme: "file", Path: filepath.ToSlash(path)}).String()
	enc.Data = nil // the file holds them; a batch of many images keeps none
	return enc, nil
}
