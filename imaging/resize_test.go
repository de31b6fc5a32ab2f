package imaging

import (
	"bytes"
	"context"
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

// resizeGray8Reference is the earlier resizeGray8 (variable-length taps
// per output, a cleared line accumulator per row): the padded, unrolled
// one must give exactly its pixels.
func resizeGray8Reference(src *image.Gray, dw, dh int) *image.Gray {
	b := src.Bounds()
	sw, sh := b.Dx(), b.Dy()
	hx := fixedTaps(weights(sw, dw))
	tmp := make([]uint16, dw*sh)
	for y := 0; y < sh; y++ {
		row := src.Pix[src.PixOffset(b.Min.X, b.Min.Y+y):]
		row = row[:sw]
		out := tmp[y*dw : (y+1)*dw]
		for x := range out {
			start, w := hx.taps(x)
			taps := row[start : start+len(w)]
			var acc int32
			for k, wt := range w {
				acc += int32(taps[k]) * int32(wt)
			}
			out[x] = uint16((acc + 1<<5) >> 6) // 8.14 -> 8.8
		}
	}
	vy := fixedTaps(weights(sh, dh))
	dst := image.NewGray(image.Rect(0, 0, dw, dh))
	line := make([]uint32, dw)
	for y := 0; y < dh; y++ {
		clear(line)
		start, w := vy.taps(y)
		for k, wt := range w {
			in := tmp[(start+k)*dw : (start+k+1)*dw]
			in = in[:len(line)]
			for x, v := range in {
				line[x] += uint32(v) * uint32(wt)
			}
		}
		out := dst.Pix[y*dst.Stride : y*dst.Stride+dw]
		for x, v := range line {
			out[x] = uint8((v + 1<<21) >> 22) // 8.22 -> 8
		}
	}
	return dst
}

func TestResizeGray8MatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, sz := range [][4]int{{1024, 1024, 896, 896}, {2048, 1500, 896, 656}, {3, 3, 1, 1}, {1, 7, 5, 2}, {640, 480, 896, 672}, {100, 37, 99, 36}, {4000, 10, 3, 1}} {
		src := image.NewGray(image.Rect(0, 0, sz[0], sz[1]))
		for i := range src.Pix {
			src.Pix[i] = uint8(rng.IntN(256))
		}
		got, want := resizeGray8(src, sz[2], sz[3]), resizeGray8Reference(src, sz[2], sz[3])
		if !bytes.Equal(got.Pix, want.Pix) || got.Rect != want.Rect {
			t.Errorf("%v: pixels differ from the reference", sz)
		}
		if sz[0] > 4 && sz[1] > 4 {
			sub := src.SubImage(image.Rect(2, 1, sz[0]-1, sz[1]-2)).(*image.Gray)
			got, want := resizeGray8(sub, sz[2], sz[3]), resizeGray8Reference(sub, sz[2], sz[3])
			if !bytes.Equal(got.Pix, want.Pix) {
				t.Errorf("%v: pixels of a sub-image differ from the reference", sz)
			}
		}
	}
}

// TestResizeGray8RealImagesMatchReference: every 8-bit grey NIH image
// scaled to 896 gives the reference's pixels.
func TestResizeGray8RealImagesMatchReference(t *testing.T) {
	files, _, _ := nihGray8(t)
	for i, data := range files {
		img, ok, err := decodeGrayPNG(context.Background(), data)
		if !ok || err != nil {
			t.Fatalf("image %d: not decoded (%v)", i, err)
		}
		g := img.(*image.Gray)
		w, h := fitSize(g.Rect.Dx(), g.Rect.Dy(), 896)
		if got, want := resizeGray8(g, w, h), resizeGray8Reference(g, w, h); !bytes.Equal(got.Pix, want.Pix) {
			t.Errorf("image %d: pixels differ from the reference", i)
		}
	}
}

// TestResizeGray8RandomSizes compares the row-fed resizer with the
// reference on random small sizes, shrinking and enlarging, odd and even
// widths, one resizer reused (its cached weights must follow the sizes).
func TestResizeGray8RandomSizes(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for range 300 {
		sw, sh, dw, dh := 1+rng.IntN(40), 1+rng.IntN(40), 1+rng.IntN(40), 1+rng.IntN(40)
		src := image.NewGray(image.Rect(0, 0, sw, sh))
		for i := range src.Pix {
			src.Pix[i] = uint8(rng.IntN(256))
		}
		got, want := resizeGray8Into(src, dw, dh, make([]byte, 1600)), resizeGray8Reference(src, dw, dh)
		if !bytes.Equal(got.Pix, want.Pix) || got.Rect != want.Rect {
			t.Fatalf("%dx%d to %dx%d: pixels differ from the reference", sw, sh, dw, dh)
		}
	}
}

// TestFixedTapsDropZeroWeights checks that no output keeps a tap of
// weight zero at either end, so a shrink by less than 2 (1024 to 896)
// reads three samples per output, not five.
func TestFixedTapsDropZeroWeights(t *testing.T) {
	for _, tt := range []struct{ n, m, wantTaps int }{{1024, 896, 3}, {1024, 1000, 3}, {2048, 896, 5}, {512, 896, 2}} {
		f := fixedTaps(weights(tt.n, tt.m))
		for i := range f.start {
			_, w := f.taps(i)
			if w[0] == 0 || w[len(w)-1] == 0 {
				t.Fatalf("%d to %d: output %d has a zero-weight end tap: %v", tt.n, tt.m, i, w)
			}
		}
		if got := padTaps(f, tt.n).n; got != tt.wantTaps {
			t.Errorf("%d to %d: %d taps per output, want %d", tt.n, tt.m, got, tt.wantTaps)
		}
	}
}
