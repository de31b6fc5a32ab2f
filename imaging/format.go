package imaging

import (
	"bufio"
	"bytes"
	"fmt"
	"image"
	_ "image/jpeg" // JPEG decoding
	_ "image/png"  // PNG decoding
	"io"
)

// Format is a recognized image container.
type Format string

// Formats cxrkit reads.
const (
	PNG     Format = "png"
	JPEG    Format = "jpeg"
	DICOM   Format = "dicom"
	Unknown Format = ""
)

// Sniff recognizes a format from the first bytes of a file (at least 132
// bytes are needed to see a DICOM preamble).
func Sniff(head []byte) Format {
	switch {
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		return PNG
	case bytes.HasPrefix(head, []byte{0xFF, 0xD8, 0xFF}):
		return JPEG
	case len(head) >= 132 && bytes.Equal(head[128:132], []byte("DICM")):
		return DICOM
	}
	return Unknown
}

// Size is an image size in pixels.
type Size struct{ Width, Height int }

// Probe reads an image's size from its header without decoding pixels,
// within the default budget.
func Probe(path string) (Size, error) { return Defaults().Probe(path) }

// Probe reads the size of the image at path (a regular file or a zip
// member, ARCHIVE.zip!MEMBER) from its header without decoding pixels; an
// image over the pixel budget is refused.
func (o Options) Probe(path string) (Size, error) {
	f, size, err := o.openImage(path)
	if err != nil {
		return Size{}, err
	}
	defer f.Close()
	s, err := o.probe(f, size)
	if err != nil {
		return Size{}, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// ProbeReader is Probe on a stream, within the default budget.
func ProbeReader(r io.Reader) (Size, error) { return Defaults().ProbeReader(r) }

// ProbeReader is Probe on a stream of unknown length: DICOM element
// lengths are bounded by the byte budget.
func (o Options) ProbeReader(r io.Reader) (Size, error) {
	o = o.withDefaults()
	return o.probe(r, o.MaxBytes)
}

func (o Options) probe(r io.Reader, size int64) (Size, error) {
	o = o.withDefaults()
	br := bufio.NewReaderSize(r, 4096)
	head, _ := br.Peek(132)
	var s Size
	switch Sniff(head) {
	case DICOM:
		h, err := scanDICOM(br, size)
		if err != nil {
			return Size{}, err
		}
		if h.rows <= 0 || h.cols <= 0 {
			return Size{}, malformed("has no Rows and Columns")
		}
		s = Size{Width: h.cols, Height: h.rows}
	case PNG, JPEG:
		cfg, _, err := image.DecodeConfig(br)
		if err != nil {
			return Size{}, fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		s = Size{cfg.Width, cfg.Height}
	default:
		return Size{}, fmt.Errorf("%w: not a PNG, JPEG or DICOM file", ErrUnsupported)
	}
	if err := o.checkSize(int64(s.Width), int64(s.Height), 0); err != nil {
		return Size{}, err
	}
	return s, nil
}
