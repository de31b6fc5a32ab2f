package imaging

import (
	"image"
	"image/color"
	"testing"
)

func TestTo8BitWindowsGray16(t *testing.T) {
	// A 12-bit radiograph: values 1000..1999 in a 100×10 image. Full-range
	// scaling (>>8) would leave it nearly black in 4 grey levels.
	g := image.NewGray16(image.Rect(0, 0, 100, 10))
	for y := range 10 {
		for x := range 100 {
			g.SetGray16(x, y, color.Gray16{Y: uint16(1000 + 10*x + y)})
		}
	}
	out, ok := To8Bit(g).(*image.Gray)
	if !ok {
		t.Fatalf("got %T, want *image.Gray", To8Bit(g))
	}
	if out.Bounds() != image.Rect(0, 0, 100, 10) {
		t.Fatalf("bounds %v", out.Bounds())
	}
	if lo, hi := out.GrayAt(0, 0).Y, out.GrayAt(99, 9).Y; lo != 0 || hi != 255 {
		t.Errorf("darkest %d brightest %d, want the window to span 0..255", lo, hi)
	}
	mid := out.GrayAt(50, 5).Y
	if mid < 120 || mid > 135 {
		t.Errorf("middle grey %d, want about 128", mid)
	}
	levels := map[uint8]bool{}
	for _, v := range out.Pix {
		levels[v] = true
	}
	if len(levels) < 200 {
		t.Errorf("%d grey levels survive, want most of 256", len(levels))
	}
	g8 := image.NewGray(image.Rect(0, 0, 2, 2))
	if To8Bit(g8) != image.Image(g8) {
		t.Error("an 8-bit image should pass unchanged")
	}
	if !Is16Bit(g) || Is16Bit(g8) {
		t.Error("Is16Bit")
	}
	if _, ok := To8Bit(image.NewRGBA64(image.Rect(0, 0, 2, 2))).(*image.RGBA); !ok {
		t.Error("RGBA64 should become RGBA")
	}
}
