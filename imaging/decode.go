package imaging

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
)

// Decode decodes a PNG, JPEG or DICOM image (DICOM rendered to 8 bits)
// within the default budget.
func Decode(r io.Reader) (image.Image, Format, error) {
	return Defaults().Decode(context.Background(), r)
}

// Decode decodes a PNG, JPEG or DICOM image (DICOM rendered to 8 bits).
// The declared size is checked against the budget before pixels are
// allocated, so a small file claiming a huge image is refused rather than
// decoded, and decoding stops when ctx is done.
func (o Options) Decode(ctx context.Context, r io.Reader) (image.Image, Format, error) {
	o = o.withDefaults()
	br := bufio.NewReaderSize(ctxReader{ctx, r}, 1<<16)
	head, _ := br.Peek(132)
	f := Sniff(head)
	switch f {
	case DICOM:
		img, err := decodeDICOM(ctx, br, DICOMOptions{Budget: o})
		return img, f, err
	case PNG, JPEG:
		data, err := readAllLimited(br, nil, o.MaxBytes)
		if err != nil {
			return nil, f, err
		}
		cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
		if err != nil {
			return nil, f, fmt.Errorf("%w: %s header: %v", ErrMalformed, f, err)
		}
		if err := o.checkSize(int64(cfg.Width), int64(cfg.Height), decodedBytesPerPixel(f, cfg.ColorModel)); err != nil {
			return nil, f, err
		}
		if f == PNG {
			img, ok, err := decodeGrayPNG(ctx, data)
			if err != nil {
				return nil, f, err
			}
			if ok {
				return img, f, nil
			}
		}
		img, _, err := image.Decode(ctxReader{ctx, bytes.NewReader(data)})
		if err != nil {
			if ctx.Err() != nil {
				return nil, f, ctx.Err()
			}
			return nil, f, fmt.Errorf("%w: %s: %v", ErrMalformed, f, err)
		}
		return img, f, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, Unknown, err
	}
	return nil, Unknown, fmt.Errorf("%w: not a PNG, JPEG or DICOM image", ErrUnsupported)
}

// decodedBytesPerPixel is the memory the standard decoders allocate per
// pixel for a color model (a progressive JPEG also keeps its DCT
// coefficients, 4 bytes per sample and component).
func decodedBytesPerPixel(f Format, m color.Model) int64 {
	var n int64
	switch m {
	case color.GrayModel, color.AlphaModel:
		n = 1
	case color.Gray16Model, color.Alpha16Model:
		n = 2
	case color.RGBA64Model, color.NRGBA64Model:
		n = 8
	default:
		n = 4
	}
	if f == JPEG {
		if m == color.GrayModel {
			n += 4
		} else {
			n += 12
		}
	}
	return n
}

// DecodeFile decodes the image at path, naming it in errors.
func DecodeFile(path string) (image.Image, Format, error) {
	return Defaults().DecodeFile(context.Background(), path)
}

// DecodeFile decodes the image at path (a regular file or a zip member,
// ARCHIVE.zip!MEMBER), naming it in errors.
func (o Options) DecodeFile(ctx context.Context, path string) (image.Image, Format, error) {
	f, _, err := o.openImage(path)
	if err != nil {
		return nil, Unknown, err
	}
	defer f.Close()
	img, format, err := o.Decode(ctx, f)
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
			out, err := appendGrayPNG(nil, pix, width, height, stride, bpp)
			if err == nil {
				_, err = w.Write(out)
			}
			return err
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
	if pix, w, h, stride, bpp, ok := fastGray(img); ok && fast {
		return appendGrayPNG(nil, pix, w, h, stride, bpp) // in a buffer of its exact length
	}
	var buf bytes.Buffer
	if err := EncodePNG(&buf, img, fast); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
