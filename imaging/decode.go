package imaging

import (
	"bufio"
	"bytes"
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
)

// Decode decodes a PNG, JPEG or DICOM image (DICOM rendered to 8 bits).
// The declared size is checked before pixels are allocated, so a small
// file claiming a huge image is refused rather than decoded.
func Decode(r io.Reader) (image.Image, Format, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	head, _ := br.Peek(132)
	f := Sniff(head)
	switch f {
	case DICOM:
		img, err := DecodeDICOM(br, DICOMOptions{})
		return img, f, err
	case PNG, JPEG:
		data, err := io.ReadAll(br)
		if err != nil {
			return nil, f, err
		}
		cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
		if err != nil {
			return nil, f, err
		}
		if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > MaxSide || cfg.Height > MaxSide {
			return nil, f, fmt.Errorf("image %dx%d: want 1..%d pixels a side", cfg.Width, cfg.Height, MaxSide)
		}
		img, _, err := image.Decode(bytes.NewReader(data))
		return img, f, err
	}
	return nil, Unknown, fmt.Errorf("not a PNG, JPEG or DICOM image")
}

// DecodeFile decodes the image at path, naming it in errors.
func DecodeFile(path string) (image.Image, Format, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, Unknown, err
	}
	defer f.Close()
	img, format, err := Decode(f)
	if err != nil {
		return nil, format, fmt.Errorf("%s: %w", path, err)
	}
	return img, format, nil
}

// EncodePNG encodes img as PNG; fast trades size for speed (for grey
// images, a fixed row filter and fast deflate).
func EncodePNG(w io.Writer, img image.Image, fast bool) error {
	if fast {
		if pix, width, height, stride, bpp, ok := fastGray(img); ok {
			return encodeGrayPNG(w, pix, width, height, stride, bpp)
		}
	}
	enc := png.Encoder{CompressionLevel: png.DefaultCompression}
	if fast {
		enc.CompressionLevel = png.BestSpeed
	}
	return enc.Encode(w, img)
}

// PNGBytes encodes img as PNG into a new slice.
func PNGBytes(img image.Image, fast bool) ([]byte, error) {
	var buf bytes.Buffer
	if err := EncodePNG(&buf, img, fast); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
