package imaging

import (
	"image"
	"image/draw"
	"math"
)

// Is16Bit reports whether img stores 16 bits per sample.
func Is16Bit(img image.Image) bool {
	switch img.(type) {
	case *image.Gray16, *image.RGBA64, *image.NRGBA64:
		return true
	}
	return false
}

// To8Bit turns a 16-bit grey image into an 8-bit one through the same
// percentile window dicom2png uses for a DICOM without a VOI window
// (0.5th to 99.5th percentile mapped to black..white), so the faint
// contrast of a 12- or 16-bit radiograph survives. Training collators
// that call PIL's convert("RGB") clip a 16-bit image to white instead.
// Other 16-bit images are reduced to their high bytes; 8-bit images are
// returned as they are.
func To8Bit(img image.Image) image.Image {
	switch g := img.(type) {
	case *image.Gray16:
		return windowGray16(g)
	case *image.RGBA64, *image.NRGBA64:
		dst := image.NewRGBA(img.Bounds())
		draw.Draw(dst, dst.Bounds(), img, img.Bounds().Min, draw.Src)
		return dst
	}
	return img
}

func windowGray16(g *image.Gray16) *image.Gray {
	b := g.Bounds()
	w, h := b.Dx(), b.Dy()
	var hist [65536]int
	value := func(x, y int) int {
		i := (y-b.Min.Y)*g.Stride + 2*(x-b.Min.X)
		return int(g.Pix[i])<<8 | int(g.Pix[i+1])
	}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			hist[value(x, y)]++
		}
	}
	n := w * h
	// The value at rank round(q/100 * (n-1)) of the sorted samples, as
	// the DICOM window computes it.
	at := func(q float64) float64 {
		rank := int(math.Round(q / 100 * float64(n-1)))
		seen := 0
		for v, c := range hist {
			seen += c
			if seen > rank {
				return float64(v)
			}
		}
		return 65535
	}
	lo, hi := at(defaultLowPercentile), at(defaultHighPercentile)
	if hi <= lo {
		lo, hi = at(0), at(100)
	}
	scale := 1.0
	if hi > lo {
		scale = 1 / (hi - lo)
	}
	out := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			t := min(max((float64(value(b.Min.X+x, b.Min.Y+y))-lo)*scale, 0), 1)
			out.Pix[y*out.Stride+x] = uint8(math.Round(t * 255))
		}
	}
	return out
}
