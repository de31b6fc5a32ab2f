package imaging

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/suyashkumar/dicom"
	"github.com/suyashkumar/dicom/pkg/tag"
	"github.com/suyashkumar/dicom/pkg/uid"
)

// ErrCompressedDICOM reports pixel data in a compressed transfer syntax,
// which cxrkit does not decode.
var ErrCompressedDICOM = errors.New("compressed DICOM transfer syntax is not supported")

// DICOMOptions control DICOM rendering.
type DICOMOptions struct {
	// Bits is the output depth, 8 or 16 (default 8).
	Bits int
	// LowPercentile and HighPercentile bound the window used when the file
	// has no VOI window (defaults 0.5 and 99.5).
	LowPercentile, HighPercentile float64
}

// DecodeDICOM decodes the first frame of an uncompressed grey DICOM image:
// stored values are rescaled with RescaleSlope/RescaleIntercept, mapped
// through the VOI window (WindowCenter/WindowWidth, else a percentile
// window), inverted for MONOCHROME1, and returned as *image.Gray or
// *image.Gray16.
func DecodeDICOM(r io.Reader, opts DICOMOptions) (image.Image, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxDICOMBytes+1))
	if err != nil {
		return nil, fmt.Errorf("DICOM: %w", err)
	}
	if len(data) > MaxDICOMBytes {
		return nil, fmt.Errorf("DICOM larger than %d bytes", MaxDICOMBytes)
	}
	head, err := parseDICOM(data, dicom.SkipPixelData())
	if err != nil {
		return nil, err
	}
	rows, rerr := dicomInt(&head, tag.Rows)
	cols, cerr := dicomInt(&head, tag.Columns)
	if err := errors.Join(rerr, cerr); err != nil {
		return nil, err
	}
	if rows <= 0 || cols <= 0 || rows > MaxSide || cols > MaxSide {
		return nil, fmt.Errorf("DICOM image %dx%d: want 1..%d pixels a side", cols, rows, MaxSide)
	}
	if ts, ok := transferSyntax(&head); ok && !nativeSyntax(ts) {
		return nil, compressedError(ts)
	}
	ds, err := parseDICOM(data)
	if err != nil {
		if ts, ok := transferSyntax(&ds); ok && !nativeSyntax(ts) {
			return nil, compressedError(ts)
		}
		return nil, fmt.Errorf("DICOM: %w", err)
	}
	if ts, ok := transferSyntax(&ds); ok && !nativeSyntax(ts) {
		return nil, compressedError(ts)
	}
	px, err := dicomPixels(&ds)
	if err != nil {
		return nil, err
	}
	lo, hi := px.window(opts)
	return px.render(lo, hi, opts.Bits), nil
}

// MaxDICOMBytes bounds the DICOM files cxrkit decodes.
const MaxDICOMBytes = 1 << 30

// MaxSide bounds the width and height of images cxrkit decodes.
const MaxSide = 16384

// parseDICOM parses an in-memory DICOM file. The parser panics on some
// malformed input; that is turned into an error, since uploads reach here.
func parseDICOM(data []byte, opts ...dicom.ParseOption) (ds dicom.Dataset, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("malformed DICOM: %v", r)
		}
	}()
	ds, err = dicom.Parse(bytes.NewReader(data), int64(len(data)), nil, opts...)
	if err != nil && ds.Elements == nil {
		return ds, fmt.Errorf("DICOM: %w", err)
	}
	return ds, err
}

func transferSyntax(ds *dicom.Dataset) (string, bool) {
	e, err := ds.FindElementByTag(tag.TransferSyntaxUID)
	if err != nil {
		return "", false
	}
	s, ok := e.Value.GetValue().([]string)
	if !ok || len(s) == 0 {
		return "", false
	}
	return strings.TrimRight(strings.TrimSpace(s[0]), "\x00"), true
}

func nativeSyntax(ts string) bool {
	switch ts {
	case "1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2":
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

func dicomInt(ds *dicom.Dataset, t tag.Tag) (int, error) {
	e, err := ds.FindElementByTag(t)
	if err != nil {
		return 0, fmt.Errorf("DICOM %s missing", tagName(t))
	}
	switch v := e.Value.GetValue().(type) {
	case []int:
		if len(v) > 0 {
			return v[0], nil
		}
	case []string:
		if len(v) > 0 {
			n, err := strconv.Atoi(strings.TrimSpace(v[0]))
			if err == nil {
				return n, nil
			}
		}
	}
	return 0, fmt.Errorf("DICOM %s is not an integer", tagName(t))
}

func dicomFloats(ds *dicom.Dataset, t tag.Tag) []float64 {
	e, err := ds.FindElementByTag(t)
	if err != nil {
		return nil
	}
	var out []float64
	switch v := e.Value.GetValue().(type) {
	case []string:
		for _, s := range v {
			for _, part := range strings.Split(s, "\\") {
				if f, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimRight(part, "\x00")), 64); err == nil {
					out = append(out, f)
				}
			}
		}
	case []float64:
		out = v
	case []int:
		for _, i := range v {
			out = append(out, float64(i))
		}
	}
	return out
}

func dicomString(ds *dicom.Dataset, t tag.Tag) string {
	e, err := ds.FindElementByTag(t)
	if err != nil {
		return ""
	}
	if s, ok := e.Value.GetValue().([]string); ok && len(s) > 0 {
		return strings.TrimSpace(strings.TrimRight(s[0], "\x00"))
	}
	return ""
}

func tagName(t tag.Tag) string {
	if info, err := tag.Find(t); err == nil {
		return info.Name
	}
	return t.String()
}

// pixels are the rescaled values of one frame.
type pixels struct {
	w, h        int
	v           []float64
	monochrome1 bool
	center      []float64
	width       []float64
}

func dicomPixels(ds *dicom.Dataset) (*pixels, error) {
	if spp, err := dicomInt(ds, tag.SamplesPerPixel); err == nil && spp != 1 {
		return nil, fmt.Errorf("DICOM SamplesPerPixel %d: only grey images are supported", spp)
	}
	e, err := ds.FindElementByTag(tag.PixelData)
	if err != nil {
		return nil, errors.New("DICOM has no PixelData")
	}
	info, ok := e.Value.GetValue().(dicom.PixelDataInfo)
	if !ok || len(info.Frames) == 0 {
		return nil, errors.New("DICOM PixelData has no frames")
	}
	if info.IsEncapsulated || info.Frames[0].Encapsulated {
		ts, _ := transferSyntax(ds)
		return nil, compressedError(ts)
	}
	nf, err := info.Frames[0].GetNativeFrame()
	if err != nil {
		return nil, fmt.Errorf("DICOM frame: %w", err)
	}
	w, h := nf.Cols(), nf.Rows()
	if w <= 0 || h <= 0 {
		return nil, fmt.Errorf("DICOM frame is %dx%d", w, h)
	}
	signed := false
	if rep, err := dicomInt(ds, tag.PixelRepresentation); err == nil && rep == 1 {
		signed = true
	}
	stored := nf.BitsPerSample()
	if bs, err := dicomInt(ds, tag.BitsStored); err == nil && bs > 0 && bs <= stored {
		stored = bs
	}
	slope, intercept := 1.0, 0.0
	if s := dicomFloats(ds, tag.RescaleSlope); len(s) > 0 && s[0] != 0 {
		slope = s[0]
	}
	if s := dicomFloats(ds, tag.RescaleIntercept); len(s) > 0 {
		intercept = s[0]
	}
	raw, err := rawInts(nf.RawDataSlice(), w*h)
	if err != nil {
		return nil, err
	}
	mask := uint64(1)<<uint(stored) - 1
	p := &pixels{w: w, h: h, v: make([]float64, w*h),
		monochrome1: dicomString(ds, tag.PhotometricInterpretation) == "MONOCHROME1",
		center:      dicomFloats(ds, tag.WindowCenter), width: dicomFloats(ds, tag.WindowWidth)}
	for i, u := range raw {
		u &= mask
		val := int64(u)
		if signed && u&(1<<uint(stored-1)) != 0 {
			val = int64(u) - int64(1)<<uint(stored)
		}
		p.v[i] = float64(val)*slope + intercept
	}
	return p, nil
}

func rawInts(data any, n int) ([]uint64, error) {
	out := make([]uint64, 0, n)
	switch d := data.(type) {
	case []uint8:
		for _, x := range d {
			out = append(out, uint64(x))
		}
	case []uint16:
		for _, x := range d {
			out = append(out, uint64(x))
		}
	case []uint32:
		for _, x := range d {
			out = append(out, uint64(x))
		}
	case []int:
		for _, x := range d {
			out = append(out, uint64(x))
		}
	default:
		return nil, fmt.Errorf("DICOM pixel type %T not supported", data)
	}
	if len(out) < n {
		return nil, fmt.Errorf("DICOM frame has %d samples, want %d", len(out), n)
	}
	return out[:n], nil
}

// window returns the value range mapped to black..white.
func (p *pixels) window(opts DICOMOptions) (lo, hi float64) {
	if len(p.center) > 0 && len(p.width) > 0 && p.width[0] > 0 {
		c, w := p.center[0], p.width[0]
		return c - w/2, c + w/2
	}
	lp, hp := opts.LowPercentile, opts.HighPercentile
	if lp == 0 && hp == 0 {
		lp, hp = 0.5, 99.5
	}
	sorted := slices.Clone(p.v)
	slices.Sort(sorted)
	at := func(q float64) float64 {
		i := int(math.Round(q / 100 * float64(len(sorted)-1)))
		return sorted[min(max(i, 0), len(sorted)-1)]
	}
	lo, hi = at(lp), at(hp)
	if hi <= lo {
		lo, hi = sorted[0], sorted[len(sorted)-1]
	}
	return lo, hi
}

func (p *pixels) render(lo, hi float64, bits int) image.Image {
	scale := 1.0
	if hi > lo {
		scale = 1 / (hi - lo)
	}
	norm := func(v float64) float64 {
		t := min(max((v-lo)*scale, 0), 1)
		if p.monochrome1 {
			t = 1 - t
		}
		return t
	}
	rect := image.Rect(0, 0, p.w, p.h)
	if bits == 16 {
		img := image.NewGray16(rect)
		for i, v := range p.v {
			x := uint16(math.Round(norm(v) * 65535))
			img.Pix[2*i], img.Pix[2*i+1] = byte(x>>8), byte(x)
		}
		return img
	}
	img := image.NewGray(rect)
	for i, v := range p.v {
		img.Pix[i] = uint8(math.Round(norm(v) * 255))
	}
	return img
}
