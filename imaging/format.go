package imaging

import (
	"bufio"
	"bytes"
	"fmt"
	"image"
	_ "image/jpeg" // JPEG decoding
	_ "image/png"  // PNG decoding
	"io"
	"os"

	"github.com/suyashkumar/dicom"
	"github.com/suyashkumar/dicom/pkg/tag"
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

// parseDICOMHeader parses a DICOM stream up to its pixel data, turning
// parser panics on malformed input into errors.
func parseDICOMHeader(r io.Reader) (ds dicom.Dataset, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("malformed DICOM: %v", p)
		}
	}()
	ds, err = dicom.ParseUntilEOF(r, nil, dicom.SkipPixelData())
	if err != nil && ds.Elements == nil {
		return ds, fmt.Errorf("DICOM header: %w", err)
	}
	return ds, nil
}

// Size is an image size in pixels.
type Size struct{ Width, Height int }

// Probe reads an image's size from its header without decoding pixels.
func Probe(path string) (Size, error) {
	f, err := os.Open(path)
	if err != nil {
		return Size{}, err
	}
	defer f.Close()
	s, err := ProbeReader(f)
	if err != nil {
		return Size{}, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// ProbeReader is Probe on a stream.
func ProbeReader(r io.Reader) (Size, error) {
	br := bufio.NewReaderSize(r, 4096)
	head, _ := br.Peek(132)
	switch Sniff(head) {
	case DICOM:
		ds, err := parseDICOMHeader(br)
		if err != nil {
			return Size{}, err
		}
		rows, rerr := dicomInt(&ds, tag.Rows)
		cols, cerr := dicomInt(&ds, tag.Columns)
		if rerr != nil {
			return Size{}, rerr
		}
		if cerr != nil {
			return Size{}, cerr
		}
		return Size{Width: cols, Height: rows}, nil
	case PNG, JPEG:
		cfg, _, err := image.DecodeConfig(br)
		if err != nil {
			return Size{}, err
		}
		return Size{cfg.Width, cfg.Height}, nil
	}
	return Size{}, fmt.Errorf("not a PNG, JPEG or DICOM file")
}
