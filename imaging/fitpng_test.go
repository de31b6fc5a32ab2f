package imaging

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"
)

// TestFitPNGSameAsThreeCalls: FitPNG gives the bytes and errors of
// Decode, FitLongSide and PNGBytes, image after image (buffers reused
// between sizes and kinds must never show through), and an earlier
// result is not changed by a later call.
func TestFitPNGSameAsThreeCalls(t *testing.T) {
	files := grayTestPNGs(t)
	rgba := image.NewRGBA(image.Rect(0, 0, 70, 50))
	for i := range rgba.Pix {
		rgba.Pix[i] = uint8(i * 13)
	}
	var cbuf, jbuf bytes.Buffer
	if err := png.Encode(&cbuf, rgba); err != nil {
		t.Fatal(err)
	}
	if err := jpeg.Encode(&jbuf, rgba, nil); err != nil {
		t.Fatal(err)
	}
	files["colour png"], files["jpeg"] = cbuf.Bytes(), jbuf.Bytes()
	files["not an image"] = []byte("hello")
	files["cut png"] = files["noise-e-0"][:len(files["noise-e-0"])/2]
	ctx := context.Background()
	var earlier [][2][]byte
	for _, maxSide := range []int{896, 64, 5} {
		for name, data := range files {
			got, size, err := Options{}.FitPNG(ctx, data, maxSide)
			img, _, werr := Decode(bytes.NewReader(data))
			if werr != nil {
				if err == nil || errors.Is(err, ErrMalformed) != errors.Is(werr, ErrMalformed) || errors.Is(err, ErrUnsupported) != errors.Is(werr, ErrUnsupported) {
					t.Errorf("%s: error %v, want %v", name, err, werr)
				}
				continue
			}
			fitted := FitLongSide(img, maxSide)
			want, _ := PNGBytes(fitted, true)
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("%s at %d: %d bytes (%v), want %d", name, maxSide, len(got), err, len(want))
			}
			if b := fitted.Bounds(); size != (Size{b.Dx(), b.Dy()}) {
				t.Errorf("%s at %d: size %v, want %v", name, maxSide, size, b)
			}
			earlier = append(earlier, [2][]byte{got, bytes.Clone(got)})
		}
	}
	for _, e := range earlier {
		if !bytes.Equal(e[0], e[1]) {
			t.Fatal("a later FitPNG changed an earlier result")
		}
	}
	// Over the budget: refused as Decode refuses it.
	if _, _, err := (Options{MaxPixels: 100}).FitPNG(ctx, files["noise-e-0"], 896); !errors.Is(err, ErrOverBudget) {
		t.Errorf("over budget: %v", err)
	}
}

// fitUnfused is FitPNG the long way: the whole image decoded, then
// scaled, then encoded.
func fitUnfused(data []byte, maxSide int) ([]byte, error) {
	img, _, err := Decode(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	return PNGBytes(FitLongSide(img, maxSide), true)
}

// TestFitPNGFusedMatchesUnfused: on every 8-bit grey NIH image, where
// FitPNG feeds each row to the resizer as it is unfiltered, the result
// is the bytes of decoding the whole image, scaling it and encoding it.
func TestFitPNGFusedMatchesUnfused(t *testing.T) {
	files, _, _ := nihGray8(t)
	for i, data := range files {
		for _, maxSide := range []int{896, 300} {
			got, _, err := Options{}.FitPNG(context.Background(), data, maxSide)
			want, werr := fitUnfused(data, maxSide)
			if err != nil || werr != nil || !bytes.Equal(got, want) {
				t.Errorf("image %d at %d: %d bytes (%v), want %d (%v)", i, maxSide, len(got), err, len(want), werr)
			}
		}
	}
}

// FuzzFitPNG: whatever the bytes, FitPNG (fused for 8-bit grey PNGs)
// gives the bytes, or the error, of decoding, scaling and encoding in
// turn.
func FuzzFitPNG(f *testing.F) {
	for name, data := range grayTestPNGs(f) {
		if len(data) < 4<<10 && !strings.Contains(name, "16") {
			f.Add(data, uint16(3))
		}
	}
	g := image.NewGray(image.Rect(0, 0, 9, 7))
	for i := range g.Pix {
		g.Pix[i] = uint8(i * 29)
	}
	f.Add(rawGrayPNG(f, g, 2, 6), uint16(4)) // an unknown row filter
	f.Add(rawGrayPNG(f, g, 3, 4), uint16(5))
	f.Fuzz(func(t *testing.T, data []byte, side uint16) {
		if cfg, err := png.DecodeConfig(bytes.NewReader(data)); err != nil || cfg.Width*cfg.Height > 1<<16 {
			return
		}
		maxSide := int(side % 80)
		got, _, err := Options{}.FitPNG(context.Background(), data, maxSide)
		want, werr := fitUnfused(data, maxSide)
		if (err == nil) != (werr == nil) || (err != nil && err.Error() != werr.Error()) || !bytes.Equal(got, want) {
			t.Fatalf("at %d: %d bytes (%v), want %d (%v)", maxSide, len(got), err, len(want), werr)
		}
	})
}
