package boxes

import (
	"errors"
	"fmt"
	"math"
)

// Tolerance is how far outside the image (as a fraction of its size) a
// pixel box may reach before it is rejected; within it, boxes are clamped.
const Tolerance = 0.01

// Validation errors of FromPixels. Their text is the reject reason written
// to rejects.jsonl.
var (
	ErrNoImageSize = errors.New("no known image size")
	ErrNotFinite   = errors.New("non-numeric coordinate")
	ErrXInverted   = errors.New("x_max < x_min")
	ErrYInverted   = errors.New("y_max < y_min")
	ErrOutside     = errors.New("box outside the image by more than 1%")
	ErrZeroArea    = errors.New("zero-area box")
	ErrTooThin     = errors.New("box thinner than 0.02% of the image")
)

// MinExtent is the smallest normalized width or height a box may have: the
// corpus writes 4 decimals, and a thinner box could round to zero area.
const MinExtent = 2e-4

// FromPixels validates a pixel box given as corners (x1, y1) top-left and
// (x2, y2) bottom-right in an image of width × height pixels, clamps it when
// it overflows by at most Tolerance, and normalizes it.
func FromPixels(x1, y1, x2, y2 float64, width, height int) (Box, error) {
	if width <= 0 || height <= 0 {
		return Box{}, ErrNoImageSize
	}
	for _, v := range [4]float64{x1, y1, x2, y2} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return Box{}, ErrNotFinite
		}
	}
	if x2 < x1 {
		return Box{}, ErrXInverted
	}
	if y2 < y1 {
		return Box{}, ErrYInverted
	}
	w, h := float64(width), float64(height)
	if x1 < -Tolerance*w || y1 < -Tolerance*h || x2 > (1+Tolerance)*w || y2 > (1+Tolerance)*h {
		return Box{}, fmt.Errorf("%w (%g,%g,%g,%g in %dx%d)", ErrOutside, x1, y1, x2, y2, width, height)
	}
	b := Box{Y0: y1 / h, X0: x1 / w, Y1: y2 / h, X1: x2 / w}.Clamp()
	if b.Area() == 0 {
		return Box{}, ErrZeroArea
	}
	if b.X1-b.X0 < MinExtent || b.Y1-b.Y0 < MinExtent {
		return Box{}, ErrTooThin
	}
	return b, nil
}

// FromPixelsXYWH is FromPixels for a box given as top-left corner, width and
// height (the NIH x,y,w,h convention).
func FromPixelsXYWH(x, y, bw, bh float64, width, height int) (Box, error) {
	return FromPixels(x, y, x+bw, y+bh, width, height)
}

// Pixels converts a normalized box back to pixel corners x1, y1, x2, y2.
func (b Box) Pixels(width, height int) (x1, y1, x2, y2 float64) {
	w, h := float64(width), float64(height)
	return b.X0 * w, b.Y0 * h, b.X1 * w, b.Y1 * h
}
