package imaging

import (
	"image"
	"image/draw"
)

// PadToSquare centres img on a black square whose side is its long side,
// the way MedGemma's own chest X-ray notebooks prepare an image before
// asking for boxes. It returns the square and where the original sits in
// it. A square image is returned as is. Grey images stay grey at their bit
// depth; anything else becomes RGBA.
func PadToSquare(img image.Image) (image.Image, image.Rectangle) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w == h {
		return img, image.Rect(0, 0, w, h)
	}
	side := max(w, h)
	inner := image.Rect((side-w)/2, (side-h)/2, (side-w)/2+w, (side-h)/2+h)
	square := image.Rect(0, 0, side, side)
	var dst draw.Image
	switch img.(type) {
	case *image.Gray:
		dst = image.NewGray(square)
	case *image.Gray16:
		dst = image.NewGray16(square)
	default:
		rgba := image.NewRGBA(square)
		for i := 3; i < len(rgba.Pix); i += 4 {
			rgba.Pix[i] = 0xff // opaque black
		}
		dst = rgba
	}
	draw.Draw(dst, inner, img, b.Min, draw.Src)
	return dst, inner
}
