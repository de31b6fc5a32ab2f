package imaging

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"image"
	"image/png"
	"math/rand/v2"
	"os"
	"testing"
)

// The audit client's request key for a scaled image is the sha256 of
// what FitPNG makes of the file, so FitPNG's bytes (decode, scale,
// encode) are pinned: the hashes below were taken from d3ec818. A change
// of them changes every scaled image's key and must be deliberate (and
// said in docs/decisions.md).

// TestFitPNGBytesPinnedSynthetic scales a 1024² grey PNG from image/png
// (whose rows use every filter, Paeth most) to 896 and 300.
func TestFitPNGBytesPinnedSynthetic(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	g := image.NewGray(image.Rect(0, 0, 1024, 1024))
	for y := range 1024 {
		for x := range 1024 {
			g.Pix[y*1024+x] = byte((x*x/900+y*y/700)/3) + byte(rng.IntN(9))
		}
	}
	var file bytes.Buffer
	if err := png.Encode(&file, g); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		side int
		want string
	}{
		{896, "46509674bd8167c36d8030955e1b29ed3c5ac8d3082b9060ace15f017f70034c"},
		{300, "0f761540cef987ef7efbd794a41c0b4759454957056481b8d8c6cc45a2d2ef02"},
	} {
		out, _, err := Options{}.FitPNG(context.Background(), file.Bytes(), tt.side)
		if err != nil {
			t.Fatal(err)
		}
		if sum := sha256.Sum256(out); hex.EncodeToString(sum[:]) != tt.want {
			t.Errorf("FitPNG to %d: sha256 %x (%d bytes), want %s", tt.side, sum, len(out), tt.want)
		}
	}
}

// TestFitPNGBytesPinnedNIH hashes FitPNG's output to 896 for every real
// NIH image in turn (skipped when they are absent).
func TestFitPNGBytesPinnedNIH(t *testing.T) {
	h := sha256.New()
	for _, name := range realImages(t) {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		out, _, err := Options{}.FitPNG(context.Background(), data, 896)
		if err != nil {
			t.Fatal(name, err)
		}
		h.Write(out)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != "f5ff844a3b3246109c760654226160c82528da0ca254e34b3c543300cbaffe5e" {
		t.Errorf("FitPNG of the NIH images to 896: sha256 %s", got)
	}
}
