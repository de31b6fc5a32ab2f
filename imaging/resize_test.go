package imaging

import (
	"image"
	"math/rand/v2"
	"path/filepath"
	"testing"
)

// TestResizeGray8MatchesFloat checks the integer 8-bit resize against
// the floating-point resample of the same filter: within one grey level
// everywhere, on noise, gradients and real radiographs, shrinking and
// enlarging, and exactly flat on a flat image.
func TestResizeGray8MatchesFloat(t *testing.T) {
	noise := image.NewGray(image.Rect(0, 0, 301, 207))
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range noise.Pix {
		noise.Pix[i] = uint8(rng.IntN(256))
	}
	ramp := image.NewGray(image.Rect(0, 0, 256, 64))
	for y := 0; y < 64; y++ {
		for x := 0; x < 256; x++ {
			ramp.Pix[y*ramp.Stride+x] = uint8(x)
		}
	}
	flat := image.NewGray(image.Rect(0, 0, 100, 90))
	for i := range flat.Pix {
		flat.Pix[i] = 137
	}
	// A sub-image: offsets and strides must be honoured.
	sub := noise.SubImage(image.Rect(10, 20, 200, 150)).(*image.Gray)
	tests := []struct {
		name string
		img  *image.Gray
		w, h int
	}{
		{"noise shrink", noise, 100, 71},
		{"noise enlarge", noise, 450, 300},
		{"ramp 896ish", ramp, 224, 56},
		{"flat", flat, 37, 41},
		{"sub-image", sub, 95, 65},
		{"one pixel", noise, 1, 1},
	}
	if files, _ := filepath.Glob("../../shared/realdata/nih-images/*.png"); len(files) > 0 {
		img, _, err := DecodeFile(files[0])
		if err != nil {
			t.Fatal(err)
		}
		if g, ok := img.(*image.Gray); ok {
			tests = append(tests, struct {
				name string
				img  *image.Gray
				w, h int
			}{"real 1024 to 896", g, 896, 896})
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := resizeGray8(tt.img, tt.w, tt.h)
			want := resizePlane(grayPlane(tt.img), tt.img.Bounds().Dx(), tt.img.Bounds().Dy(), tt.w, tt.h)
			if got.Bounds().Dx() != tt.w || got.Bounds().Dy() != tt.h {
				t.Fatalf("size %v", got.Bounds())
			}
			worst := 0.0
			for i, v := range want {
				d := float64(got.Pix[i]) - float64(v)
				worst = max(worst, d, -d)
			}
			if worst > 1 {
				t.Errorf("differs from the float resample by %.2f grey levels", worst)
			}
			if tt.name == "flat" {
				for _, v := range got.Pix {
					if v != 137 {
						t.Fatalf("flat image resized to a pixel of %d", v)
					}
				}
			}
		})
	}
}
