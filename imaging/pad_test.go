package imaging

import (
	"image"
	"image/color"
	"testing"
)

func TestPadToSquare(t *testing.T) {
	tests := []struct {
		name      string
		img       image.Image
		wantSide  int
		wantInner image.Rectangle
	}{
		{"landscape grey", image.NewGray(image.Rect(0, 0, 1024, 768)), 1024, image.Rect(0, 128, 1024, 896)},
		{"portrait grey16", image.NewGray16(image.Rect(0, 0, 300, 500)), 500, image.Rect(100, 0, 400, 500)},
		{"odd difference", image.NewRGBA(image.Rect(0, 0, 5, 2)), 5, image.Rect(0, 1, 5, 3)},
		{"square", image.NewGray(image.Rect(0, 0, 64, 64)), 64, image.Rect(0, 0, 64, 64)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Mark the original's corners white to find them in the square.
			if g, ok := tt.img.(interface{ Set(x, y int, c color.Color) }); ok {
				b := tt.img.Bounds()
				g.Set(0, 0, color.White)
				g.Set(b.Dx()-1, b.Dy()-1, color.White)
			}
			sq, inner := PadToSquare(tt.img)
			b := sq.Bounds()
			if b.Dx() != tt.wantSide || b.Dy() != tt.wantSide {
				t.Fatalf("square %v, want side %d", b, tt.wantSide)
			}
			if inner != tt.wantInner {
				t.Fatalf("inner %v, want %v", inner, tt.wantInner)
			}
			if r, _, _, _ := sq.At(inner.Min.X, inner.Min.Y).RGBA(); r != 0xffff {
				t.Errorf("top-left of the original is not where inner says")
			}
			if r, _, _, _ := sq.At(inner.Max.X-1, inner.Max.Y-1).RGBA(); r != 0xffff {
				t.Errorf("bottom-right of the original is not where inner says")
			}
			if inner.Min.X > 0 || inner.Min.Y > 0 {
				if r, g, bl, a := sq.At(0, 0).RGBA(); r != 0 || g != 0 || bl != 0 || a != 0xffff {
					t.Errorf("padding is %v %v %v %v, want opaque black", r, g, bl, a)
				}
			}
		})
	}
}
