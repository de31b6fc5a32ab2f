package imaging

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// verticalRef is the vertical pass one output at a time, in plain
// integers: the definition verticalRow and verticalRowGo must meet,
// including uint8's truncation of a sum of 256<<22 or more (only a
// sample above 255.0, never one of the horizontal pass, makes one).
func verticalRef(n int, rows [][]uint64, w []uint16) []uint8 {
	out := make([]uint8, n)
	for i := range out {
		v := uint64(1 << 21)
		for k, wt := range w {
			lane := rows[k][i/2] >> (32 * (i % 2)) & 0xffffffff
			v += lane * uint64(wt)
		}
		out[i] = uint8(v >> 22)
	}
	return out
}

// randomWeights are taps 2.14 fixed-point weights summing to 1<<14, as
// fixedTaps makes them (a zero weight included).
func randomWeights(rng *rand.Rand, taps int) []uint16 {
	w := make([]uint16, taps)
	left := 1 << 14
	for k := range taps - 1 {
		w[k] = uint16(rng.IntN(left + 1))
		left -= int(w[k])
	}
	if taps > 0 {
		w[taps-1] = uint16(left)
	}
	rng.Shuffle(taps, func(i, j int) { w[i], w[j] = w[j], w[i] })
	return w
}

// randomRows are taps rows of words 8.8 samples below 1<<16 per half:
// mostly anything, or all at the maximum (the largest sums), or all the
// same value (a flat region, which must stay flat), with extra words
// after the row's end that no output may read.
func randomRows(rng *rand.Rand, taps, n int) [][]uint64 {
	rows := make([][]uint64, taps)
	mode := rng.IntN(4)
	flat := uint64(rng.IntN(256)) << 8
	for k := range rows {
		r := make([]uint64, (n+1)/2+rng.IntN(3))
		for i := range r {
			var lo, hi uint64
			switch mode {
			case 0:
				lo, hi = 0xffff, 0xffff
			case 1:
				lo, hi = flat, flat
			default:
				lo, hi = uint64(rng.IntN(1<<16)), uint64(rng.IntN(1<<16))
			}
			r[i] = lo | hi<<32
		}
		rows[k] = r[:(n+1)/2]
	}
	return rows
}

// checkVerticalRow runs verticalRow (the AVX2 kernel where there is one)
// and verticalRowGo from the start and from a later word on one case and
// compares each with verticalRef; a guard after out must stay untouched.
func checkVerticalRow(t *testing.T, rows [][]uint64, w []uint16, n, from int) {
	t.Helper()
	want := verticalRef(n, rows, w)
	buf := make([]uint8, n+64)
	for i := range buf {
		buf[i] = 0xa5
	}
	guard := bytes.Clone(buf[n:])
	verticalRow(buf[:n], rows, w)
	if !bytes.Equal(buf[:n], want) || !bytes.Equal(buf[n:], guard) {
		t.Fatalf("verticalRow, %d outputs, weights %v:\n got %v\nwant %v\nguard %v", n, w, buf[:n], want, buf[n:])
	}
	clear(buf[:n])
	verticalRowGo(buf[:n], rows, w, 0)
	if !bytes.Equal(buf[:n], want) || !bytes.Equal(buf[n:], guard) {
		t.Fatalf("verticalRowGo, %d outputs, weights %v:\n got %v\nwant %v", n, w, buf[:n], want)
	}
	clear(buf[:n])
	verticalRowGo(buf[:n], rows, w, from)
	if !bytes.Equal(buf[2*from:n], want[2*from:]) || !bytes.Equal(buf[:2*from], make([]uint8, 2*from)) {
		t.Fatalf("verticalRowGo from word %d, %d outputs, weights %v:\n got %v\nwant %v", from, n, w, buf[:n], want)
	}
}

// TestVerticalRowMatchesReference compares the vertical pass with the
// plain reference on random rows and weights: 1 to 8 taps, every length
// from 0 to 200 outputs (whole blocks of 32, odd lengths and the rest).
func TestVerticalRowMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(16, 25))
	for n := range 201 {
		for taps := 1; taps <= 8; taps++ {
			for range 4 {
				checkVerticalRow(t, randomRows(rng, taps, n), randomWeights(rng, taps), n, rng.IntN(n/2+1))
			}
		}
	}
}

// FuzzVerticalRow is TestVerticalRowMatchesReference on rows, weights
// and lengths from the fuzzer: seed picks the samples and weights.
func FuzzVerticalRow(f *testing.F) {
	f.Add(uint64(1), uint8(3), uint16(896), uint16(0))
	f.Add(uint64(2), uint8(1), uint16(33), uint16(5))
	f.Add(uint64(3), uint8(8), uint16(31), uint16(1))
	f.Add(uint64(4), uint8(5), uint16(0), uint16(0))
	f.Fuzz(func(t *testing.T, seed uint64, taps uint8, n, from uint16) {
		rng := rand.New(rand.NewPCG(seed, uint64(taps)<<32|uint64(n)<<16|uint64(from)))
		k, size := 1+int(taps%8), int(n%1100)
		checkVerticalRow(t, randomRows(rng, k, size), randomWeights(rng, k), size, int(from)%(size/2+1))
	})
}

// BenchmarkVerticalRow is one output row of 896 from three rows, the
// audit client's 1024 -> 896 case: verticalRow (the kernel where there
// is one) against verticalRowGo.
func BenchmarkVerticalRow(b *testing.B) {
	rng := rand.New(rand.NewPCG(5, 6))
	rows, w := randomRows(rng, 3, 896), randomWeights(rng, 3)
	out := make([]uint8, 896)
	b.Run("dispatch", func(b *testing.B) {
		for range b.N {
			verticalRow(out, rows, w)
		}
	})
	b.Run("go", func(b *testing.B) {
		for range b.N {
			verticalRowGo(out, rows, w, 0)
		}
	})
}
