package imaging

import (
	"bytes"
	"compress/zlib"
	"io"
	"math/rand/v2"
	"testing"
)

// zlibVerdict is what compress/zlib makes of stream: its output (at
// most limit bytes) and whether it reads it without error.
func zlibVerdict(stream []byte, limit int64) ([]byte, bool) {
	zr, err := zlib.NewReader(bytes.NewReader(stream))
	if err != nil {
		return nil, false
	}
	out, err := io.ReadAll(io.LimitReader(zr, limit))
	return out, err == nil
}

// inflateInputs are data whose streams exercise every path of the
// decoder: literal runs, long matches, distances 1 to 7 (byte-wise and
// filled copies) and far ones, blocks ending near the end of the output.
func inflateInputs() map[string][]byte {
	rng := rand.New(rand.NewPCG(11, 12))
	noise := make([]byte, 70000)
	smooth := make([]byte, 200000)
	periodic := make([]byte, 90000)
	rows := make([]byte, 1025*150)
	for i := range noise {
		noise[i] = byte(rng.IntN(256))
	}
	for i := range smooth {
		smooth[i] = byte(i/300 + rng.IntN(3))
	}
	for i := range periodic {
		period := 1 + i/10000%9 // 1..9, changing every 10000 bytes
		periodic[i] = byte(i%period*37 + i/10000)
	}
	for i := range rows { // rows like a radiograph's: filter byte, then pixels close to the row above
		if i%1025 == 0 {
			rows[i] = byte(rng.IntN(5))
			continue
		}
		rows[i] = byte(i%1025/8 + rng.IntN(6))
		if rng.IntN(4) == 0 && i >= 1025 {
			rows[i] = rows[i-1025]
		}
	}
	return map[string][]byte{"empty": nil, "one": {9}, "noise": noise, "smooth": smooth, "periodic": periodic,
		"rows": rows, "zeros": make([]byte, 100000), "short": smooth[:300], "room": periodic[:270]}
}

// TestInflateZlibMatchesStdlib: every stream compress/zlib writes, at
// every level, inflates to the same bytes; damaged copies (bits flipped,
// cut short, wrong output size) are refused whenever compress/zlib
// refuses them or reads other bytes.
func TestInflateZlibMatchesStdlib(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	shared := new(inflateTables) // reused by every stream below, as FitPNG's pool reuses them
	for name, data := range inflateInputs() {
		for _, level := range []int{zlib.HuffmanOnly, zlib.NoCompression, zlib.BestSpeed, 5, zlib.DefaultCompression, zlib.BestCompression} {
			var buf bytes.Buffer
			w, _ := zlib.NewWriterLevel(&buf, level)
			w.Write(data)
			w.Close()
			stream := buf.Bytes()
			dst := make([]byte, len(data))
			if !inflateZlib(dst, stream) || !bytes.Equal(dst, data) {
				t.Fatalf("%s level %d: refused or differs", name, level)
			}
			// Tables left by every stream so far (refused ones included).
			clear(dst)
			if ok, sum := inflateZlibStreamWith(dst, stream, shared); !ok || !sum || !bytes.Equal(dst, data) {
				t.Fatalf("%s level %d: with reused tables: refused or differs", name, level)
			}
			if len(data) > 0 && (inflateZlib(dst[:len(data)-1], stream) || inflateZlib(make([]byte, len(data)+1), stream)) {
				t.Fatalf("%s level %d: accepted with the wrong output size", name, level)
			}
			for range 40 {
				bad := bytes.Clone(stream)
				switch rng.IntN(3) {
				case 0:
					i := rng.IntN(len(bad))
					bad[i] ^= 1 << rng.IntN(8)
				case 1:
					bad = bad[:rng.IntN(len(bad))]
				default:
					i := rng.IntN(len(bad))
					bad[i] = byte(rng.IntN(256))
				}
				want, good := zlibVerdict(bad, 1<<20)
				got := make([]byte, len(want))
				if inflateZlib(got, bad) && (!good || !bytes.Equal(got, want)) {
					t.Fatalf("%s level %d: accepted a damaged stream compress/zlib refuses (%v) or reads otherwise", name, level, good)
				}
				again := make([]byte, len(want))
				if ok, sum := inflateZlibStreamWith(again, bad, shared); ok && sum && (!good || !bytes.Equal(again, want)) {
					t.Fatalf("%s level %d: with reused tables: accepted a damaged stream compress/zlib refuses (%v) or reads otherwise", name, level, good)
				}
			}
		}
	}
}
