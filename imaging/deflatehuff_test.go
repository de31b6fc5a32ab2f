package imaging

import (
	"bytes"
	"compress/zlib"
	"io"
	"math/rand/v2"
	"testing"
)

func huffInputs() map[string][]byte {
	rng := rand.New(rand.NewPCG(9, 10))
	random := make([]byte, 3*huffBlockSize+17)
	smooth := make([]byte, 100_000)
	for i := range random {
		random[i] = byte(rng.IntN(256))
	}
	for i := range smooth {
		smooth[i] = byte(rng.NormFloat64() * 3)
	}
	// Byte k occurs about fib(k) times: a plain Huffman code for it is
	// deeper than 15 bits.
	var skewed []byte
	a, b := 1, 1
	for k := range 24 {
		skewed = append(skewed, bytes.Repeat([]byte{byte(k)}, a)...)
		a, b = b, a+b
	}
	// The rarest bytes first: the first codes after the block header are
	// the longest, with the header's bits still pending.
	rareFirst := bytes.Clone(skewed)
	rng.Shuffle(len(skewed), func(i, j int) { skewed[i], skewed[j] = skewed[j], skewed[i] })
	return map[string][]byte{"rare first": rareFirst, "rare first 2": rareFirst[1:], "rare first 3": append([]byte{0, 0}, rareFirst...), "empty": nil, "one byte": {7}, "one value": bytes.Repeat([]byte{3}, 5000),
		"random": random, "smooth": smooth, "skewed": skewed, "exact block": random[:huffBlockSize]}
}

// TestAppendZlibHuffmanRoundTrip: compress/zlib and inflateZlib read
// back exactly what was written, whatever the statistics.
func TestAppendZlibHuffmanRoundTrip(t *testing.T) {
	for name, data := range huffInputs() {
		z := appendZlibHuffman([]byte("prefix"), data)
		if string(z[:6]) != "prefix" {
			t.Fatalf("%s: prefix overwritten", name)
		}
		z = z[6:]
		zr, err := zlib.NewReader(bytes.NewReader(z))
		if err != nil {
			t.Fatal(name, err)
		}
		got, err := io.ReadAll(zr)
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("%s: compress/zlib reads %d bytes, %v", name, len(got), err)
		}
		dst := make([]byte, len(data))
		if !inflateZlib(dst, z) || !bytes.Equal(dst, data) {
			t.Errorf("%s: inflateZlib refuses or differs", name)
		}
		if name == "one value" && len(z) > 1000 {
			t.Errorf("%s: %d bytes for one repeated value", name, len(z))
		}
	}
}

// TestHuffmanLengthsLimited: lengths are within the limit and form a
// complete code (Kraft sum exactly one) even when a plain Huffman code
// would be deeper.
func TestHuffmanLengthsLimited(t *testing.T) {
	fib := make([]int, 30)
	fib[0], fib[1] = 1, 1
	for i := 2; i < len(fib); i++ {
		fib[i] = fib[i-1] + fib[i-2]
	}
	for _, tt := range []struct {
		freq   []int
		maxLen int
	}{{fib, 15}, {fib[:19], 7}, {[]int{0, 5, 0, 9}, 15}, {[]int{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, 7}} {
		lens := make([]uint8, len(tt.freq))
		huffmanLengths(tt.freq, lens, tt.maxLen)
		kraft := 0
		for s, l := range lens {
			if int(l) > tt.maxLen || (l == 0) != (tt.freq[s] == 0) {
				t.Fatalf("%v: symbol %d length %d", tt.freq, s, l)
			}
			if l > 0 {
				kraft += 1 << (tt.maxLen - int(l))
			}
		}
		if kraft != 1<<tt.maxLen {
			t.Errorf("%v: Kraft sum %d/%d", tt.freq, kraft, 1<<tt.maxLen)
		}
	}
}

func FuzzAppendZlibHuffman(f *testing.F) {
	for _, data := range huffInputs() {
		if len(data) < 10000 {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		z := appendZlibHuffman(nil, data)
		zr, err := zlib.NewReader(bytes.NewReader(z))
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(zr)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("round trip: %v", err)
		}
	})
}
