package imaging

import (
	"bytes"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

func TestFitLongSide(t *testing.T) {
	g := image.NewGray(image.Rect(0, 0, 1000, 500))
	for i := range g.Pix {
		g.Pix[i] = 200
	}
	out := FitLongSide(g, 100)
	if b := out.Bounds(); b.Dx() != 100 || b.Dy() != 50 {
		t.Fatalf("size %v", b)
	}
	og, ok := out.(*image.Gray)
	if !ok || og.GrayAt(50, 25).Y != 200 {
		t.Fatalf("flat grey not preserved: %T %v", out, out.At(50, 25))
	}
	if FitLongSide(g, 1000) != image.Image(g) {
		t.Fatal("image already small enough was copied")
	}
	g16 := image.NewGray16(image.Rect(0, 0, 40, 80))
	g16.SetGray16(0, 0, color.Gray16{Y: 65535})
	if out := FitLongSide(g16, 20); out.Bounds().Dx() != 10 || out.Bounds().Dy() != 20 {
		t.Fatalf("gray16 size %v", out.Bounds())
	} else if _, ok := out.(*image.Gray16); !ok {
		t.Fatalf("gray16 became %T", out)
	}
	rgb := image.NewRGBA(image.Rect(0, 0, 30, 30))
	if out := FitLongSide(rgb, 10); out.Bounds().Dx() != 10 {
		t.Fatalf("rgb size %v", out.Bounds())
	}
}

func TestResizeKeepsEdgesSharpEnough(t *testing.T) {
	// Left half black, right half white: after halving, the middle column
	// pair straddles the edge and the outer columns keep their values.
	g := image.NewGray(image.Rect(0, 0, 8, 2))
	for y := 0; y < 2; y++ {
		for x := 4; x < 8; x++ {
			g.SetGray(x, y, color.Gray{Y: 255})
		}
	}
	out := Resize(g, 4, 1).(*image.Gray)
	if out.Pix[0] != 0 || out.Pix[3] != 255 || out.Pix[1] >= out.Pix[2] {
		t.Fatalf("resized row %v", out.Pix)
	}
}

func realImages(t testing.TB) []string {
	files, _ := filepath.Glob("../../shared/realdata/nih-images/*.png")
	if len(files) == 0 {
		t.Skip("real NIH images not found in ../../shared/realdata/nih-images")
	}
	return files
}

func TestFingerprintSeparatesRealRadiographs(t *testing.T) {
	files := realImages(t)
	var fps []Fingerprint
	for _, f := range files {
		img, _, err := DecodeFile(f)
		if err != nil {
			t.Fatal(err)
		}
		fps = append(fps, FingerprintOf(img))
		s, err := Probe(f)
		if err != nil || s != (Size{1024, 1024}) {
			t.Fatalf("%s: probe %v %v", f, s, err)
		}
		small := FitLongSide(img, 300)
		if d := FingerprintOf(small).Hash.Distance(fps[len(fps)-1].Hash); d > 2 {
			t.Errorf("%s: hash moved %d bits after resizing", f, d)
		}
	}
	minDist := 64
	for i := range fps {
		for j := i + 1; j < len(fps); j++ {
			minDist = min(minDist, fps[i].Hash.Distance(fps[j].Hash))
		}
	}
	if minDist <= 4 {
		t.Errorf("two different real radiographs are %d bits apart (duplicate threshold is 4)", minDist)
	}
	t.Logf("%d real images; closest pair of different images: %d bits", len(fps), minDist)
}

func BenchmarkDecodeRealPNG(b *testing.B) {
	files := realImages(b)
	data, _ := os.ReadFile(files[0])
	b.SetBytes(int64(len(data)))
	for i := 0; i < b.N; i++ {
		f, _ := os.Open(files[0])
		if _, _, err := Decode(f); err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
}

func BenchmarkFitLongSide896(b *testing.B) {
	files := realImages(b)
	img, _, _ := DecodeFile(files[0])
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		FitLongSide(img, 896)
	}
}

func BenchmarkEncodePNGFast(b *testing.B) {
	files := realImages(b)
	img, _, _ := DecodeFile(files[0])
	img = FitLongSide(img, 896)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		PNGBytes(img, true)
	}
}

func TestDecodeRefusesHugeDeclaredSize(t *testing.T) {
	// A valid PNG header declaring 100000×100000 pixels, with no data.
	png, _ := PNGBytes(image.NewGray(image.Rect(0, 0, 1, 1)), true)
	png[16], png[17], png[18], png[19] = 0, 1, 0x86, 0xA0 // width 100000
	png[20], png[21], png[22], png[23] = 0, 1, 0x86, 0xA0 // height
	crc := crc32.ChecksumIEEE(png[12:29])                 // IHDR type and data
	png[29], png[30], png[31], png[32] = byte(crc>>24), byte(crc>>16), byte(crc>>8), byte(crc)
	if _, _, err := Decode(bytes.NewReader(png)); !errors.Is(err, ErrOverBudget) {
		t.Fatalf("err = %v", err)
	}
}

func TestFastPNGRoundTrip(t *testing.T) {
	g := image.NewGray(image.Rect(0, 0, 301, 97))
	for i := range g.Pix {
		g.Pix[i] = uint8(i*7 + i/301)
	}
	g16 := image.NewGray16(image.Rect(0, 0, 50, 40))
	for i := range g16.Pix {
		g16.Pix[i] = uint8(i * 13)
	}
	sub := g.SubImage(image.Rect(10, 5, 200, 90))
	for _, img := range []image.Image{g, g16, sub} {
		data, err := PNGBytes(img, true)
		if err != nil {
			t.Fatal(err)
		}
		back, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%T: %v", img, err)
		}
		b := img.Bounds()
		if back.Bounds().Dx() != b.Dx() || back.Bounds().Dy() != b.Dy() {
			t.Fatalf("%T: size %v", img, back.Bounds())
		}
		for y := 0; y < b.Dy(); y++ {
			for x := 0; x < b.Dx(); x++ {
				r1, _, _, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
				r2, _, _, _ := back.At(x, y).RGBA()
				if r1 != r2 {
					t.Fatalf("%T: pixel (%d,%d) %d != %d", img, x, y, r1, r2)
				}
			}
		}
	}
}
