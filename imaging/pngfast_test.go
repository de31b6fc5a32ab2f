package imaging

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"image"
	"image/png"
	"math/rand/v2"
	"testing"
)

// FuzzAppendGrayPNG: image/png decodes what the fast grey writer writes
// to exactly the pixels it was given, 8- and 16-bit, any size and
// stride, and the encoding is the one EncodePNG streams.
func FuzzAppendGrayPNG(f *testing.F) {
	f.Add(uint16(1), uint16(1), false, []byte{0})
	f.Add(uint16(7), uint16(3), true, []byte("radiograph-ish bytes, repeated to fill the rows"))
	f.Add(uint16(600), uint16(500), false, []byte{1, 2, 3, 250, 7}) // more than one IDAT chunk of noise
	f.Fuzz(func(t *testing.T, w, h uint16, deep bool, seed []byte) {
		width, height := int(w%700)+1, int(h%600)+1
		rng := rand.New(rand.NewPCG(uint64(len(seed)), uint64(width*height)))
		var img image.Image
		if deep {
			g := image.NewGray16(image.Rect(0, 0, width+3, height))
			fill(g.Pix, seed, rng)
			img = g.SubImage(image.Rect(2, 0, width+2, height)) // a stride wider than the rows
		} else {
			g := image.NewGray(image.Rect(0, 0, width, height))
			fill(g.Pix, seed, rng)
			img = g
		}
		out, err := PNGBytes(img, true)
		if err != nil {
			t.Fatal(err)
		}
		back, err := png.Decode(bytes.NewReader(out))
		if err != nil {
			t.Fatalf("%dx%d deep=%v: image/png refuses the output: %v", width, height, deep, err)
		}
		if back.Bounds().Dx() != width || back.Bounds().Dy() != height {
			t.Fatalf("size %v, want %dx%d", back.Bounds(), width, height)
		}
		b := img.Bounds()
		for y := range height {
			for x := range width {
				if back.At(x, y) != img.At(b.Min.X+x, b.Min.Y+y) {
					t.Fatalf("%dx%d deep=%v: pixel (%d,%d) is %v, want %v", width, height, deep, x, y, back.At(x, y), img.At(b.Min.X+x, b.Min.Y+y))
				}
			}
		}
		var streamed bytes.Buffer
		if err := EncodePNG(&streamed, img, true); err != nil || !bytes.Equal(streamed.Bytes(), out) {
			t.Fatalf("EncodePNG wrote other bytes (%v)", err)
		}
	})
}

// fill fills pix with the seed's bytes, half of the rows noise, so that
// both smooth and incompressible stretches occur.
func fill(pix, seed []byte, rng *rand.Rand) {
	for i := range pix {
		switch {
		case len(seed) > 0 && i/64%2 == 0:
			pix[i] = seed[i%len(seed)] + byte(i/997)
		default:
			pix[i] = byte(rng.Uint32())
		}
	}
}

// TestFastPNGBytesPinned pins the fast writer's bytes: an image's request
// key is the hash of what the writer makes of it, so a change of these
// bytes changes every scaled image's key and must be deliberate (and said
// in docs/decisions.md).
func TestFastPNGBytesPinned(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	g := image.NewGray(image.Rect(0, 0, 640, 480))
	for y := range 480 {
		for x := range 640 {
			g.Pix[y*640+x] = byte(x/3+y/5) + byte(rng.IntN(5))
		}
	}
	g16 := image.NewGray16(image.Rect(0, 0, 300, 200))
	for i := range g16.Pix {
		g16.Pix[i] = byte(rng.IntN(40))
	}
	for _, tt := range []struct {
		img  image.Image
		want string
	}{
		{g, "aa526cdeec3a5d936aa04b49f994e96c694c4bd0bc3d9c46ed16fff103d1ab42"},
		{g16, "427995b261f7f166d60a58d99020657d2020f3008299981e665a4b4b7ca308ac"},
	} {
		out, err := PNGBytes(tt.img, true)
		if err != nil {
			t.Fatal(err)
		}
		if sum := sha256.Sum256(out); hex.EncodeToString(sum[:]) != tt.want {
			t.Errorf("%T: fast PNG sha256 %x (%d bytes), want %s", tt.img, sum, len(out), tt.want)
		}
	}
}

func TestSubBytes(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for n := range 40 {
		a, b, got := make([]byte, n), make([]byte, n), make([]byte, n)
		for i := range n {
			a[i], b[i] = byte(rng.Uint32()), byte(rng.Uint32())
		}
		if n > 2 {
			a[0], b[0], a[1], b[1] = 0, 255, 255, 0 // the extremes of a borrow
		}
		subBytes(got, a, b)
		for i := range n {
			if got[i] != a[i]-b[i] {
				t.Fatalf("n=%d: byte %d is %d, want %d-%d", n, i, got[i], a[i], b[i])
			}
		}
	}
}
