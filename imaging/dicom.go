package imaging

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"image"
	"io"
	"math"
	"slices"

	"github.com/suyashkumar/dicom/pkg/uid"
)

// ErrCompressedDICOM reports pixel data in a compressed transfer syntax,
// which cxrkit does not decode.
var ErrCompressedDICOM = fmt.Errorf("%w: compressed DICOM transfer syntax is not supported", ErrUnsupported)

// The percentile window of an image without a VOI window: the darkest and
// brightest half percent are clipped.
const (
	defaultLowPercentile  = 0.5
	defaultHighPercentile = 99.5
)

// DICOMOptions control DICOM rendering.
type DICOMOptions struct {
	// Bits is the output depth, 8 or 16 (default 8).
	Bits int
	// LowPercentile and HighPercentile bound the window used when the file
	// has no VOI window (defaults 0.5 and 99.5).
	LowPercentile, HighPercentile float64
	// Budget bounds the decode (zero fields: Defaults).
	Budget Options
}

// DecodeDICOM decodes an uncompressed grey single-frame DICOM image:
// stored values are rescaled with RescaleSlope/RescaleIntercept, mapped
// through the VOI window (WindowCenter/WindowWidth, else a percentile
// window), inverted for MONOCHROME1, and returned as *image.Gray or
// *image.Gray16.
func DecodeDICOM(r io.Reader, opts DICOMOptions) (image.Image, error) {
	return decodeDICOM(context.Background(), r, opts)
}

func decodeDICOM(ctx context.Context, r io.Reader, opts DICOMOptions) (image.Image, error) {
	budget := opts.Budget.withDefaults()
	data, err := readAllLimited(ctxReader{ctx, r}, nil, budget.MaxBytes)
	if err != nil {
		return nil, fmt.Errorf("DICOM: %w", err)
	}
	h, err := scanDICOM(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, err
	}
	if err := h.checkDecodable(budget); err != nil {
		return nil, err
	}
	px, err := h.pixels(ctx, data[h.pixelOffset:h.pixelOffset+h.expectedLength()])
	if err != nil {
		return nil, err
	}
	lo, hi := px.window(opts)
	return px.render(ctx, lo, hi, opts.Bits)
}

func (h *dicomHeader) expectedLength() int64 {
	return int64(h.rows) * int64(h.cols) * int64(h.samples) * int64(h.bitsAllocated) / 8
}

// checkDecodable refuses, with a reason, every file cxrkit cannot render
// within the budget, before pixels are touched.
func (h *dicomHeader) checkDecodable(budget Options) error {
	if h.syntax != "" && !nativeSyntax(h.syntax) || h.encapsulated {
		return compressedError(h.syntax)
	}
	if !h.hasPixels {
		return malformed("has no PixelData")
	}
	if h.rows <= 0 || h.cols <= 0 {
		return malformed("image is %dx%d (Columns x Rows)", h.cols, h.rows)
	}
	if h.frames != 1 {
		return fmt.Errorf("%w: DICOM with NumberOfFrames %d; only single-frame images are read", ErrUnsupported, h.frames)
	}
	if h.samples != 1 {
		return fmt.Errorf("%w: DICOM SamplesPerPixel %d: only grey images are supported", ErrUnsupported, h.samples)
	}
	switch h.bitsAllocated {
	case 8, 16, 32:
	default:
		return fmt.Errorf("%w: DICOM BitsAllocated %d: want 8, 16 or 32", ErrUnsupported, h.bitsAllocated)
	}
	if h.bitsStored <= 0 {
		h.bitsStored = h.bitsAllocated
	}
	if h.bitsStored > h.bitsAllocated {
		return malformed("BitsStored %d is more than BitsAllocated %d", h.bitsStored, h.bitsAllocated)
	}
	// The file, the stored values, a copy for the percentile window and
	// the output.
	if err := budget.checkSize(int64(h.cols), int64(h.rows), int64(h.bitsAllocated/8)+4+4+2); err != nil {
		return fmt.Errorf("DICOM: %w", err)
	}
	want := h.expectedLength()
	if h.pixelLength != want && h.pixelLength != want+want%2 {
		return malformed("PixelData is %d bytes, but Rows x Columns x SamplesPerPixel x BitsAllocated says %d", h.pixelLength, want)
	}
	return nil
}

func nativeSyntax(ts string) bool {
	switch ts {
	case syntaxImplicitLE, syntaxExplicitLE, syntaxExplicitBE:
		return true
	}
	return false
}

func compressedError(ts string) error {
	name := "unknown transfer syntax"
	if info, err := uid.Lookup(ts); err == nil {
		name = info.Name
	}
	return fmt.Errorf("%w: %s (%s); decompress it first (e.g. gdcmconv --raw or dcmdjpeg)", ErrCompressedDICOM, name, ts)
}

// pixels are the stored values of one frame with what maps them to grey.
type pixels struct {
	w, h        int
	v           []int32
	bits        int
	slope       float64
	intercept   float64
	monochrome1 bool
	center      []float64
	width       []float64
}

func (h *dicomHeader) pixels(ctx context.Context, raw []byte) (*pixels, error) {
	order := binary.ByteOrder(binary.LittleEndian)
	if h.syntax == syntaxExplicitBE {
		order = binary.BigEndian
	}
	p := &pixels{w: h.cols, h: h.rows, v: make([]int32, h.cols*h.rows), bits: h.bitsStored,
		slope: 1, monochrome1: h.photometric == "MONOCHROME1", center: h.center, width: h.width}
	if len(h.slope) > 0 && h.slope[0] != 0 {
		p.slope = h.slope[0]
	}
	if len(h.intercept) > 0 {
		p.intercept = h.intercept[0]
	}
	step := h.bitsAllocated / 8
	mask := uint64(1)<<uint(h.bitsStored) - 1
	sign := uint64(1) << uint(h.bitsStored-1)
	for y := range h.rows {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		for x := range h.cols {
			i := y*h.cols + x
			var u uint64
			switch step {
			case 1:
				u = uint64(raw[i])
			case 2:
				u = uint64(order.Uint16(raw[2*i:]))
			case 4:
				u = uint64(order.Uint32(raw[4*i:]))
			}
			u &= mask
			val := int64(u)
			if h.signed && u&sign != 0 {
				val -= int64(1) << uint(h.bitsStored)
			}
			p.v[i] = int32(val)
		}
	}
	return p, nil
}

func (p *pixels) rescale(v int32) float64 { return float64(v)*p.slope + p.intercept }

// window returns the (rescaled) value range mapped to black..white.
func (p *pixels) window(opts DICOMOptions) (lo, hi float64) {
	if len(p.center) > 0 && len(p.width) > 0 && p.width[0] > 0 {
		c, w := p.center[0], p.width[0]
		return c - w/2, c + w/2
	}
	lp, hp := opts.LowPercentile, opts.HighPercentile
	if lp == 0 && hp == 0 {
		lp, hp = defaultLowPercentile, defaultHighPercentile
	}
	sorted := p.rank()
	n := len(p.v)
	at := func(q float64) float64 {
		i := min(max(int(math.Round(q/100*float64(n-1))), 0), n-1)
		if p.slope < 0 {
			// A negative slope reverses the order of rescaled values.
			i = n - 1 - i
		}
		return p.rescale(sorted(i))
	}
	lo, hi = at(lp), at(hp)
	if hi <= lo {
		lo, hi = p.rescale(sorted(0)), p.rescale(sorted(n-1))
		if lo > hi {
			lo, hi = hi, lo
		}
	}
	return lo, hi
}

// rank returns the i-th smallest stored value: by counting for up to 16
// stored bits, else from a sorted copy.
func (p *pixels) rank() func(i int) int32 {
	if p.bits > 16 {
		sorted := slices.Clone(p.v)
		slices.Sort(sorted)
		return func(i int) int32 { return sorted[i] }
	}
	lo, hi := slices.Min(p.v), slices.Max(p.v)
	counts := make([]int, int(hi-lo)+1)
	for _, v := range p.v {
		counts[v-lo]++
	}
	return func(i int) int32 {
		for k, c := range counts {
			if i < c {
				return lo + int32(k)
			}
			i -= c
		}
		return hi
	}
}

func (p *pixels) render(ctx context.Context, lo, hi float64, bits int) (image.Image, error) {
	scale := 1.0
	if hi > lo {
		scale = 1 / (hi - lo)
	}
	norm := func(v int32) float64 {
		t := min(max((p.rescale(v)-lo)*scale, 0), 1)
		if p.monochrome1 {
			t = 1 - t
		}
		return t
	}
	rect := image.Rect(0, 0, p.w, p.h)
	if bits == 16 {
		img := image.NewGray16(rect)
		for y := range p.h {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			for i := y * p.w; i < (y+1)*p.w; i++ {
				x := uint16(math.Round(norm(p.v[i]) * 65535))
				img.Pix[2*i], img.Pix[2*i+1] = byte(x>>8), byte(x)
			}
		}
		return img, nil
	}
	img := image.NewGray(rect)
	for y := range p.h {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		for i := y * p.w; i < (y+1)*p.w; i++ {
			img.Pix[i] = uint8(math.Round(norm(p.v[i]) * 255))
		}
	}
	return img, nil
}

// ctxReader fails reads once its context is done, so a decoder reading
// from it stops at the request's deadline.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
