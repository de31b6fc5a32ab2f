package sftexport

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"path/filepath"
	"strings"

	"github.com/cxrkit/cxrkit/boxes"
	"github.com/cxrkit/cxrkit/imaging"
)

// loadedImage is an image ready for the images column.
type loadedImage struct {
	data      []byte
	name      string
	converted bool // not PNG at the source (JPEG, DICOM): re-encoded as PNG
	resized   bool
	windowed  bool // 16-bit source windowed down to 8 bits
	// inner is where the image sits in the padded square, and side the
	// square's side; side is 0 when the image was not padded.
	inner image.Rectangle
	side  int
}

// toSquare maps a box on the original image to the padded square the
// model is shown, so targets match the pixels they are trained on.
func (l loadedImage) toSquare(b boxes.Box) boxes.Box {
	if l.side == 0 {
		return b
	}
	s := float64(l.side)
	y := func(v float64) float64 { return (float64(l.inner.Min.Y) + v*float64(l.inner.Dy())) / s }
	x := func(v float64) float64 { return (float64(l.inner.Min.X) + v*float64(l.inner.Dx())) / s }
	return boxes.Box{Y0: y(b.Y0), X0: x(b.X0), Y1: y(b.Y1), X1: x(b.X1)}
}

// imagePrep is how images are prepared for training.
type imagePrep struct {
	resize int  // fit the long side (0: keep)
	keep16 bool // keep 16-bit images as they are
	square bool // pad to a square (the profile's model expects one)
	budget imaging.Options
}

// pngBitDepth is the bit depth in a PNG's IHDR chunk (0 when too short).
func pngBitDepth(data []byte) int {
	if len(data) < 25 {
		return 0
	}
	return int(data[24])
}

// loadImage reads an image file and returns PNG bytes: the file's own
// bytes when it is an 8-bit (or kept 16-bit) PNG needing no resize or
// padding (byte-exact), else a decoded, windowed to 8 bits, fitted,
// padded, re-encoded PNG.
func loadImage(ctx context.Context, path string, prep imagePrep) (loadedImage, error) {
	resize := prep.resize
	// Regular files only (a FIFO would block the export forever), within
	// the byte budget.
	data, err := prep.budget.ReadFile(path)
	if err != nil {
		return loadedImage{}, err
	}
	name := filepath.Base(path)
	format := imaging.Sniff(data[:min(len(data), 132)])
	if format == imaging.Unknown {
		return loadedImage{}, fmt.Errorf("%s: not a PNG, JPEG or DICOM image", path)
	}
	needs8 := format == imaging.PNG && pngBitDepth(data) == 16 && !prep.keep16
	if format == imaging.PNG && resize <= 0 && !needs8 && !prep.square {
		return loadedImage{data: data, name: name}, nil
	}
	img, _, err := prep.budget.Decode(ctx, bytes.NewReader(data))
	if err != nil {
		return loadedImage{}, fmt.Errorf("%s: %w", path, err)
	}
	out := loadedImage{converted: format != imaging.PNG}
	if resize > 0 {
		fitted := imaging.FitLongSide(img, resize)
		out.resized = fitted != img
		img = fitted
	}
	if !prep.keep16 && imaging.Is16Bit(img) {
		img = imaging.To8Bit(img)
		out.windowed = true
	}
	if prep.square {
		sq, inner := imaging.PadToSquare(img)
		out.resized = out.resized || sq != img
		out.inner, out.side = inner, sq.Bounds().Dx()
		img = sq
	}
	if format == imaging.PNG && !out.resized && !out.windowed {
		// Already small enough: keep the original bytes.
		return loadedImage{data: data, name: name}, nil
	}
	if out.data, err = imaging.PNGBytes(img, true); err != nil {
		return loadedImage{}, fmt.Errorf("%s: %w", path, err)
	}
	out.name = strings.TrimSuffix(name, filepath.Ext(name)) + ".png"
	return out, nil
}

// checkImage probes an image's header without decoding its pixels,
// refusing what decoding would refuse.
func checkImage(path string, budget imaging.Options) error {
	_, err := budget.Probe(path)
	return err
}
