package imaging

import (
	"bytes"
	"compress/zlib"
	"context"
	"errors"
	"hash/crc32"
	"image"
	"image/png"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// grayTestImages are grey images of both depths, noise and smooth, odd
// sizes included, encoded by image/png at every level (so every row
// filter and stored, fixed and dynamic deflate blocks occur) and by
// cxrkit's own encoder (Up rows, Huffman-only, IDAT chunks of 256 KiB).
func grayTestPNGs(t testing.TB) map[string][]byte {
	rng := rand.New(rand.NewPCG(5, 6))
	imgs := map[string]image.Image{}
	for _, sz := range [][2]int{{1, 1}, {3, 5}, {100, 37}, {1024, 7}, {600, 600}} {
		noise := image.NewGray(image.Rect(0, 0, sz[0], sz[1]))
		smooth := image.NewGray(noise.Rect)
		noise16 := image.NewGray16(noise.Rect)
		smooth16 := image.NewGray16(noise.Rect)
		for y := range sz[1] {
			for x := range sz[0] {
				i := y*sz[0] + x
				noise.Pix[i] = uint8(rng.IntN(256))
				smooth.Pix[i] = uint8(x/3 + y/5 + rng.IntN(3))
				noise16.Pix[2*i], noise16.Pix[2*i+1] = uint8(rng.IntN(256)), uint8(rng.IntN(256))
				v := uint16(x*40 + y*17 + rng.IntN(9))
				smooth16.Pix[2*i], smooth16.Pix[2*i+1] = uint8(v>>8), uint8(v)
			}
		}
		name := func(s string) string { return s + "-" + string(rune('a'+len(imgs)/4)) }
		imgs[name("noise")], imgs[name("smooth")], imgs[name("noise16")], imgs[name("smooth16")] = noise, smooth, noise16, smooth16
	}
	out := map[string][]byte{}
	for name, img := range imgs {
		for _, level := range []png.CompressionLevel{png.DefaultCompression, png.NoCompression, png.BestSpeed, png.BestCompression} {
			var buf bytes.Buffer
			if err := (&png.Encoder{CompressionLevel: level}).Encode(&buf, img); err != nil {
				t.Fatal(err)
			}
			out[name+"-"+string(rune('0'-level))] = buf.Bytes()
		}
		var buf bytes.Buffer
		if err := EncodePNG(&buf, img, true); err != nil {
			t.Fatal(err)
		}
		out[name+"-fast"] = buf.Bytes()
	}
	return out
}

func TestDecodeGrayPNGMatchesImagePNG(t *testing.T) {
	files := grayTestPNGs(t)
	nih, _ := filepath.Glob("../../shared/realdata/nih-images/*.png")
	for _, f := range nih[:min(len(nih), 6)] {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		files[filepath.Base(f)] = data
	}
	for name, data := range files {
		want, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatal(name, err)
		}
		got, ok, _ := decodeGrayPNG(context.Background(), data)
		switch want.(type) {
		case *image.Gray, *image.Gray16:
		default:
			if ok {
				t.Errorf("%s: decoded a %T PNG", name, want)
			}
			continue
		}
		if !ok {
			t.Errorf("%s: not decoded", name)
			continue
		}
		if !sameGray(got, want) {
			t.Errorf("%s: pixels differ from image/png", name)
		}
	}
}

func sameGray(a, b image.Image) bool {
	switch a := a.(type) {
	case *image.Gray:
		b, ok := b.(*image.Gray)
		return ok && a.Rect == b.Rect && a.Stride == b.Stride && bytes.Equal(a.Pix, b.Pix)
	case *image.Gray16:
		b, ok := b.(*image.Gray16)
		return ok && a.Rect == b.Rect && a.Stride == b.Stride && bytes.Equal(a.Pix, b.Pix)
	}
	return false
}

// TestDecodeGrayPNGDeclines checks that damaged or other PNGs are left to
// image/png: a colour PNG, a flipped CRC, a flipped bit in the deflate
// data, a cut file, and an unknown row filter; Decode then reports
// image/png's error.
func TestDecodeGrayPNGDeclines(t *testing.T) {
	g := image.NewGray(image.Rect(0, 0, 40, 30))
	for i := range g.Pix {
		g.Pix[i] = uint8(i * 7)
	}
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.NoCompression}).Encode(&buf, g); err != nil {
		t.Fatal(err)
	}
	good := buf.Bytes()
	_, idat, ok := scanGrayPNG(good)
	if !ok {
		t.Fatal("good PNG refused")
	}
	rgba := image.NewRGBA(g.Rect)
	var cbuf bytes.Buffer
	if err := png.Encode(&cbuf, rgba); err != nil {
		t.Fatal(err)
	}
	edit := func(f func(d []byte) []byte) []byte { return f(bytes.Clone(good)) }
	tests := []struct {
		name      string
		data      []byte
		malformed bool
		fast      bool // decodeGrayPNG decodes it
	}{
		{"colour", cbuf.Bytes(), false, false},
		{"crc", edit(func(d []byte) []byte { d[idat+8+20] ^= 1; return d }), true, false},
		// A stored block's first row filter byte (after 2 zlib header
		// and 5 block header bytes) set to 7, with the CRC fixed.
		{"filter byte (the checksum then fails too)", edit(func(d []byte) []byte { d[idat+8+7] = 7; return fixCRC(d, idat) }), true, false},
		// Row 1's filter byte is 7 in a well-formed zlib stream (valid
		// Adler-32, valid CRCs): only the row filter check can refuse it.
		{"filter byte 7, valid stream", rawGrayPNG(t, g, 1, 7), true, false},
		{"filter byte 5, valid stream", rawGrayPNG(t, g, 0, 5), true, false},
		{"filter byte 0, valid stream", rawGrayPNG(t, g, 1, 0), false, true},
		{"cut", good[:len(good)-20], true, false},
		{"deflate", edit(func(d []byte) []byte { d[idat+8+3] ^= 0x40; return fixCRC(d, idat) }), true, false},
	}
	for _, tt := range tests {
		if _, ok, _ := decodeGrayPNG(context.Background(), tt.data); ok != tt.fast {
			t.Errorf("%s: decoded %v", tt.name, ok)
		}
		_, _, err := Decode(bytes.NewReader(tt.data))
		if tt.malformed != (err != nil) || (err != nil && !errors.Is(err, ErrMalformed)) {
			t.Errorf("%s: Decode error %v", tt.name, err)
		}
	}
}

// rawGrayPNG is g as an 8-bit grey PNG whose IDAT is compress/zlib's
// stream of the raw rows, every row filter None except row's, which is
// filter (the row's bytes are left as they are).
func rawGrayPNG(t testing.TB, g *image.Gray, row int, filter byte) []byte {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	raw := make([]byte, 0, (1+w)*h)
	for y := range h {
		f := byte(0)
		if y == row {
			f = filter
		}
		raw = append(append(raw, f), g.Pix[y*g.Stride:y*g.Stride+w]...)
	}
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	if _, err := zw.Write(raw); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	ihdr := []byte{0, 0, byte(w >> 8), byte(w), 0, 0, byte(h >> 8), byte(h), 8, 0, 0, 0, 0}
	out := []byte("\x89PNG\r\n\x1a\n")
	for _, c := range []struct {
		typ  string
		body []byte
	}{{"IHDR", ihdr}, {"IDAT", z.Bytes()}, {"IEND", nil}} {
		n := len(c.body)
		out = append(out, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
		out = append(append(out, c.typ...), c.body...)
		out = append(out, 0, 0, 0, 0)
		fixCRC(out, len(out)-12-n)
	}
	return out
}

// fixCRC recomputes the CRC of the chunk at off after an edit.
func fixCRC(d []byte, off int) []byte {
	n := int(uint32(d[off])<<24 | uint32(d[off+1])<<16 | uint32(d[off+2])<<8 | uint32(d[off+3]))
	c := crc32.ChecksumIEEE(d[off+4 : off+8+n])
	d[off+8+n], d[off+9+n], d[off+10+n], d[off+11+n] = byte(c>>24), byte(c>>16), byte(c>>8), byte(c)
	return d
}

// FuzzDecodeGrayPNG: whatever the bytes, decodeGrayPNG either declines,
// or refuses exactly what image/png refuses with image/png's words, or
// gives exactly image/png's pixels.
func FuzzDecodeGrayPNG(f *testing.F) {
	for name, data := range grayTestPNGs(f) {
		// Small files of every encoder, and cxrkit's own encoder's up
		// to 64 KiB (its IDAT chunking, Up rows, Huffman-only blocks);
		// the 100-700 KB seeds of 600x600 stall the fuzzer.
		if len(data) < 4<<10 || (strings.HasSuffix(name, "-fast") && len(data) < 64<<10) {
			f.Add(data)
		}
	}
	// Well-formed streams the grey decoder refuses itself: an unknown
	// row filter, and (CRC fixed) a flipped Adler-32 byte.
	g := image.NewGray(image.Rect(0, 0, 9, 7))
	for i := range g.Pix {
		g.Pix[i] = uint8(i * 29)
	}
	f.Add(rawGrayPNG(f, g, 2, 6))
	d := rawGrayPNG(f, g, 2, 0)
	_, idat, _ := scanGrayPNG(d)
	n := int(uint32(d[idat])<<24 | uint32(d[idat+1])<<16 | uint32(d[idat+2])<<8 | uint32(d[idat+3]))
	d[idat+8+n-2] ^= 4
	f.Add(fixCRC(d, idat))
	f.Fuzz(func(t *testing.T, data []byte) {
		if cfg, err := png.DecodeConfig(bytes.NewReader(data)); err != nil || cfg.Width*cfg.Height > 1<<20 {
			return
		}
		got, ok, ferr := decodeGrayPNG(context.Background(), data)
		if ferr != nil {
			// Refused without image/png: it must refuse too, saying the same.
			if _, err := png.Decode(bytes.NewReader(data)); err == nil || ferr.Error() != "malformed image: PNG: "+err.Error() || got != nil {
				t.Fatalf("refused with %v; image/png says %v", ferr, err)
			}
			return
		}
		if !ok {
			return
		}
		want, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("decoded what image/png refuses: %v", err)
		}
		if !sameGray(got, want) {
			t.Fatal("pixels differ from image/png")
		}
	})
}

// FuzzInflateZlib: inflateZlib accepts only what compress/zlib accepts,
// with the same output, and accepts every stream compress/zlib writes.
func FuzzInflateZlib(f *testing.F) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{0, 1, 100, 5000, 70000} {
		smooth := make([]byte, n)
		for i := range smooth {
			smooth[i] = byte(i/50 + rng.IntN(4))
		}
		for _, level := range []int{zlib.NoCompression, zlib.BestSpeed, zlib.DefaultCompression, zlib.BestCompression, zlib.HuffmanOnly} {
			var buf bytes.Buffer
			w, _ := zlib.NewWriterLevel(&buf, level)
			w.Write(smooth)
			w.Close()
			f.Add(buf.Bytes(), true)
		}
	}
	// Tables left by another stream (subtables included: BestCompression
	// of noisy data has long codes) must not change any verdict.
	noisy := make([]byte, 40000)
	for i := range noisy {
		noisy[i] = byte(rng.IntN(256) * rng.IntN(256) >> 8)
	}
	var nbuf bytes.Buffer
	nw, _ := zlib.NewWriterLevel(&nbuf, zlib.BestCompression)
	nw.Write(noisy)
	nw.Close()
	other := nbuf.Bytes()
	f.Fuzz(func(t *testing.T, stream []byte, wellFormed bool) {
		defer checkReusedTables(t, stream, other)
		zr, err := zlib.NewReader(bytes.NewReader(stream))
		var want []byte
		if err == nil {
			want, err = io.ReadAll(io.LimitReader(zr, 1<<20))
		}
		size := len(want)
		dst := make([]byte, size)
		ok := inflateZlib(dst, stream)
		switch {
		case ok && err != nil:
			t.Fatalf("accepted what compress/zlib refuses: %v", err)
		case ok && !bytes.Equal(dst, want):
			t.Fatal("output differs from compress/zlib")
		case !ok && err == nil && wellFormed && len(stream) > 0 && consumedAll(stream):
			t.Fatal("refused a stream compress/zlib reads")
		}
	})
}

// checkReusedTables inflates stream with fresh tables, then with tables
// left by other and by stream itself: the verdicts and bytes must agree.
func checkReusedTables(t *testing.T, stream, other []byte) {
	size := 0
	if zr, err := zlib.NewReader(bytes.NewReader(stream)); err == nil {
		out, _ := io.ReadAll(io.LimitReader(zr, 1<<20))
		size = len(out)
	}
	want := make([]byte, size)
	wantOK, wantSum := inflateZlibStreamWith(want, stream, new(inflateTables))
	tabs := new(inflateTables)
	inflateZlibStreamWith(make([]byte, 40000), other, tabs)
	for range 2 {
		got := make([]byte, size)
		ok, sum := inflateZlibStreamWith(got, stream, tabs)
		if ok != wantOK || ok && (sum != wantSum || !bytes.Equal(got, want)) {
			t.Fatalf("reused tables: ok %v sum %v, fresh tables: ok %v sum %v", ok, sum, wantOK, wantSum)
		}
	}
}

// consumedAll reports whether compress/zlib reads stream to its last
// byte (inflateZlib refuses trailing bytes).
func consumedAll(stream []byte) bool {
	r := bytes.NewReader(stream)
	zr, err := zlib.NewReader(r)
	if err != nil {
		return false
	}
	if _, err := io.Copy(io.Discard, zr); err != nil {
		return false
	}
	return r.Len() == 0
}

// TestDecodeGrayPNGRefuses checks that a well-formed stream with a bad
// Adler-32 or an unknown row filter is refused by the grey decoder itself
// (no second decode) with ErrMalformed and image/png's own error text,
// and that a done ctx gives no image and ctx's error.
func TestDecodeGrayPNGRefuses(t *testing.T) {
	g := image.NewGray(image.Rect(0, 0, 40, 30))
	for i := range g.Pix {
		g.Pix[i] = uint8(i * 7)
	}
	good := rawGrayPNG(t, g, 1, 0)
	_, idat, _ := scanGrayPNG(good)
	n := int(uint32(good[idat])<<24 | uint32(good[idat+1])<<16 | uint32(good[idat+2])<<8 | uint32(good[idat+3]))
	badSum := bytes.Clone(good)
	badSum[idat+8+n-1] ^= 1 // the Adler-32's last byte
	fixCRC(badSum, idat)
	for _, tt := range []struct {
		name string
		data []byte
	}{{"adler", badSum}, {"filter", rawGrayPNG(t, g, 3, 9)}, {"filter and adler", fixCRC(func() []byte {
		d := rawGrayPNG(t, g, 3, 9)
		d[idat+8+n-1] ^= 1
		return d
	}(), idat)}} {
		img, ok, err := decodeGrayPNG(context.Background(), tt.data)
		if img != nil || ok || !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: got %v, %v, %v; want ErrMalformed from the grey decoder", tt.name, img, ok, err)
			continue
		}
		_, perr := png.Decode(bytes.NewReader(tt.data))
		if want := "malformed image: PNG: " + perr.Error(); err.Error() != want {
			t.Errorf("%s: error %q, image/png says %q", tt.name, err, want)
		}
		img, _, derr := Decode(bytes.NewReader(tt.data))
		if img != nil || derr == nil || derr.Error() != err.Error() {
			t.Errorf("%s: Decode gave %v, %v", tt.name, img, derr)
		}
		if _, _, ferr := Defaults().FitPNG(context.Background(), tt.data, 16); ferr == nil || ferr.Error() != err.Error() {
			t.Errorf("%s: FitPNG gave %v", tt.name, ferr)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if img, ok, err := decodeGrayPNG(ctx, good); img != nil || ok || !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: got %v, %v, %v", img, ok, err)
	}
	// Decode's reader sees the cancelled ctx first; the fast path must
	// still never hand back an image beside an error.
	if img, _, err := Defaults().Decode(ctx, bytes.NewReader(good)); img != nil || !errors.Is(err, context.Canceled) {
		t.Errorf("Decode cancelled: got %v, %v", img, err)
	}
}

// TestDecodeGrayPNGDamagedAllocates bounds what a damaged grey PNG costs:
// the grey decoder refuses it without image/png decoding it again, so
// Decode allocates about one raw image, not two.
func TestDecodeGrayPNGDamagedAllocates(t *testing.T) {
	g := image.NewGray(image.Rect(0, 0, 1000, 1000))
	for i := range g.Pix {
		g.Pix[i] = uint8(i*7 + i/1000)
	}
	d := rawGrayPNG(t, g, 1, 0)
	_, idat, _ := scanGrayPNG(d)
	n := int(uint32(d[idat])<<24 | uint32(d[idat+1])<<16 | uint32(d[idat+2])<<8 | uint32(d[idat+3]))
	d[idat+8+n-1] ^= 1
	fixCRC(d, idat)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	const runs = 5
	for range runs {
		if _, _, err := Decode(bytes.NewReader(d)); !errors.Is(err, ErrMalformed) {
			t.Fatal(err)
		}
	}
	runtime.ReadMemStats(&after)
	per := (after.TotalAlloc - before.TotalAlloc) / runs
	if raw := uint64(1001 * 1000); per > raw+raw/2+uint64(len(d)) {
		t.Errorf("a damaged %d-byte raw image costs %d bytes per Decode", raw, per)
	}
}
