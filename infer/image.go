package infer

import (
	"bytes"
	"container/list"
	"context"
	"encoding/base64"
	"fmt"
	"image"
	"os"
	"sync"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/boxes"
	"github.com/cxrkit/cxrkit/imaging"
)

// Encoded is an image ready to send: a data URL and the size the model
// sees (for pixel-scale boxes).
type Encoded struct {
	URL  string
	Sent Size
	// Inner is where the original image sits in the sent one when it was
	// padded to a square (pixels of the sent image); empty when the sent
	// image is the original.
	Inner image.Rectangle
}

// EncodeImageSquare is EncodeImage for a model that expects a square: the
// image is fitted to maxSide, then centred on a black square, as
// MedGemma's own notebooks do before asking for boxes. Boxes the model
// draws on the square map back with ToOriginal.
func EncodeImageSquare(ctx context.Context, ref cxrkit.ImageRef, maxSide int, budget imaging.Options) (Encoded, error) {
	data := ref.Data
	if data == nil && ref.Path == "" {
		return Encoded{}, fmt.Errorf("image %s: no image path (give image_path in the case or --corpus with image paths)", ref.Key())
	}
	if data == nil {
		var err error
		if data, err = budget.ReadFile(ref.Path); err != nil {
			return Encoded{}, fmt.Errorf("image %s: %w", ref.Key(), err)
		}
	}
	img, _, err := budget.Decode(ctx, bytes.NewReader(data))
	if err != nil {
		return Encoded{}, fmt.Errorf("image %s: %w", ref.Key(), err)
	}
	sq, inner := imaging.PadToSquare(imaging.FitLongSide(img, maxSide))
	png, err := imaging.PNGBytes(sq, true)
	if err != nil {
		return Encoded{}, fmt.Errorf("image %s: %w", ref.Key(), err)
	}
	b := sq.Bounds()
	return Encoded{URL: dataURL("image/png", png), Sent: Size{b.Dx(), b.Dy()}, Inner: inner}, nil
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

// EncodeImage makes the data URL of an image whose long side fits maxSide.
// A PNG or JPEG already small enough is sent as it is, without
// re-encoding; anything else (larger images, DICOM) is decoded, scaled and
// sent as PNG. Reading and decoding stay within budget (regular files
// only, declared size checked before decoding) and stop when ctx is done.
func EncodeImage(ctx context.Context, ref cxrkit.ImageRef, maxSide int, budget imaging.Options) (Encoded, error) {
	data := ref.Data
	if data == nil && ref.Path == "" {
		return Encoded{}, fmt.Errorf("image %s: no image path (give image_path in the case or --corpus with image paths)", ref.Key())
	}
	if data == nil {
		var err error
		if data, err = budget.ReadFile(ref.Path); err != nil {
			return Encoded{}, fmt.Errorf("image %s: %w", ref.Key(), err)
		}
	}
	format := imaging.Sniff(data[:min(len(data), 132)])
	if format == imaging.PNG || format == imaging.JPEG {
		s, err := budget.ProbeReader(bytes.NewReader(data))
		if err != nil {
			return Encoded{}, fmt.Errorf("image %s: %w", ref.Key(), err)
		}
		if maxSide <= 0 || max(s.Width, s.Height) <= maxSide {
			mime := "image/png"
			if format == imaging.JPEG {
				mime = "image/jpeg"
			}
			return Encoded{URL: dataURL(mime, data), Sent: Size{s.Width, s.Height}}, nil
		}
	}
	img, _, err := budget.Decode(ctx, bytes.NewReader(data))
	if err != nil {
		return Encoded{}, fmt.Errorf("image %s: %w", ref.Key(), err)
	}
	img = imaging.FitLongSide(img, maxSide)
	png, err := imaging.PNGBytes(img, true)
	if err != nil {
		return Encoded{}, fmt.Errorf("image %s: %w", ref.Key(), err)
	}
	b := img.Bounds()
	return Encoded{URL: dataURL("image/png", png), Sent: Size{b.Dx(), b.Dy()}}, nil
}

func dataURL(mime string, data []byte) string {
	return "data:" + mime + ";base64," + base64.StdEncoding.EncodeToString(data)
}

// encodeCache keeps the last few encoded images: synthetic cases audit
// the same image several times, and decoding and scaling is most of the
// client's CPU time.
type encodeCache struct {
	mu    sync.Mutex
	max   int
	order *list.List
	items map[string]*list.Element
}

type encodeEntry struct {
	key string
	enc Encoded
}

func newEncodeCache(n int) *encodeCache {
	return &encodeCache{max: n, order: list.New(), items: map[string]*list.Element{}}
}

func (c *encodeCache) get(key string) (Encoded, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[key]; ok {
		c.order.MoveToFront(e)
		return e.Value.(*encodeEntry).enc, true
	}
	return Encoded{}, false
}

func (c *encodeCache) put(key string, enc Encoded) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.items[key]; ok {
		return
	}
	c.items[key] = c.order.PushFront(&encodeEntry{key, enc})
	for c.order.Len() > c.max {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.items, last.Value.(*encodeEntry).key)
	}
}

// imageCacheKey identifies an image file by path, size and modification
// time; uploads (bytes) are not cached.
func imageCacheKey(ref cxrkit.ImageRef) string {
	if ref.Data != nil || ref.Path == "" {
		return ""
	}
	st, err := os.Stat(ref.Path)
	if err != nil {
		return ""
	}
	return fmt.Sprintf("%s|%d|%d", ref.Path, st.Size(), st.ModTime().UnixNano())
}
