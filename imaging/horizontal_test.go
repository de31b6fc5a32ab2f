package imaging

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// horizontalRef is the horizontal pass one output at a time from
// p.start and p.w: the definition apply, applyPair and their Go twins
// must meet, output 2i in the low 32 bits of word i.
func horizontalRef(p *paddedWeights, row []byte) []uint64 {
	m, n := len(p.start), p.n
	out := make([]uint64, (m+1)/2)
	for i := range m {
		var acc uint32
		for k := range n {
			acc += uint32(row[p.start[i]+k]) * uint32(p.w[i*n+k])
		}
		out[i/2] |= uint64((acc+1<<5)>>6) << (32 * (i % 2))
	}
	return out
}

// randomRow is sw pixels: mostly anything, or all 255 (the largest
// sums), or flat, or black, with garbage after its end (in its backing
// array, past its capacity) that no output may read.
func randomRow(rng *rand.Rand, sw int) []byte {
	buf := make([]byte, sw+32)
	mode, flat := rng.IntN(5), byte(rng.IntN(256))
	for i := range buf {
		switch {
		case i >= sw:
			buf[i] = byte(rng.IntN(256))
		case mode == 0:
			buf[i] = 255
		case mode == 1:
			buf[i] = flat
		case mode == 2:
			buf[i] = 0
		default:
			buf[i] = byte(rng.IntN(256))
		}
	}
	return buf[:sw:sw]
}

// checkHorizontal runs apply, applyPair and their Go twins on rows a
// and b of p's source width and compares every word with horizontalRef;
// words after the output (a guard) must stay untouched.
func checkHorizontal(t *testing.T, p *paddedWeights, a, b []byte, from int) {
	t.Helper()
	wantA, wantB := horizontalRef(p, a), horizontalRef(p, b)
	words := len(wantA)
	const guard = 0xa5a5a5a5a5a5a5a5
	fresh := func() []uint64 {
		buf := make([]uint64, words+8)
		for i := range buf {
			buf[i] = guard
		}
		return buf
	}
	same := func(name string, buf, want []uint64, lo int) {
		t.Helper()
		for i := words; i < len(buf); i++ {
			if buf[i] != guard {
				t.Fatalf("%s, %d taps, %d outputs: wrote word %d past the end", name, p.n, len(p.start), i)
			}
		}
		if !slices.Equal(buf[lo:words], want[lo:]) {
			for i := lo; i < words; i++ {
				if buf[i] != want[i] {
					t.Fatalf("%s, %d taps, %d outputs: word %d is %#x, want %#x", name, p.n, len(p.start), i, buf[i], want[i])
				}
			}
		}
	}
	pair := make([]uint64, len(a))
	outA := fresh()
	p.apply(a, outA[:words])
	same("apply", outA, wantA, 0)
	outA, outB := fresh(), fresh()
	p.applyPair(a, b, outA[:words], outB[:words], pair)
	same("applyPair a", outA, wantA, 0)
	same("applyPair b", outB, wantB, 0)
	outA = fresh()
	p.applyGo(a, outA[:words], 0)
	same("applyGo", outA, wantA, 0)
	outA, outB = fresh(), fresh()
	p.applyPairGo(a, b, outA[:words], outB[:words], pair)
	same("applyPairGo a", outA, wantA, 0)
	same("applyPairGo b", outB, wantB, 0)
	outA = fresh()
	p.applyGo(a, outA[:words], from)
	same(fmt.Sprintf("applyGo from word %d", from), outA, wantA, from)
	for i := range from {
		if outA[i] != guard {
			t.Fatalf("applyGo from word %d wrote word %d", from, i)
		}
	}
}

// horizontalSizes are source and output widths: the audit client's
// 1024 -> 896, shrinks whose blocks fit the kernel's 16 bytes and ones
// whose do not, more than 4 taps (no kernel), enlargements, and widths
// below one block.
var horizontalSizes = [][2]int{
	{1024, 896}, {1000, 896}, {897, 896}, {896, 896}, {2000, 896}, {1400, 896},
	{1430, 896}, {1500, 896}, {1600, 896}, {1700, 896}, {300, 257}, {17, 16}, {64, 63}, {16, 8}, {24, 16},
	{1024, 895}, {1023, 897}, {100, 300}, {7, 5}, {1, 1}, {3, 2}, {33, 20},
}

// TestHorizontalMatchesReference compares the horizontal pass, kernel
// and Go, with horizontalRef on random rows, for the sizes above and
// random ones.
func TestHorizontalMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(16, 26))
	sizes := slices.Clone(horizontalSizes)
	for range 300 {
		sw := 1 + rng.IntN(1200)
		sizes = append(sizes, [2]int{sw, 1 + rng.IntN(sw+sw/2)})
	}
	for _, sz := range sizes {
		sw, dw := sz[0], sz[1]
		p := horizontalTaps(fixedTaps(weights(sw, dw)), sw)
		for range 6 {
			checkHorizontal(t, &p, randomRow(rng, sw), randomRow(rng, sw), rng.IntN(dw/2+1))
		}
	}
}

// FuzzHorizontal is TestHorizontalMatchesReference on sizes and rows
// from the fuzzer: seed picks the pixels.
func FuzzHorizontal(f *testing.F) {
	f.Add(uint64(1), uint16(1024), uint16(896), uint16(0))
	f.Add(uint64(2), uint16(300), uint16(257), uint16(3))
	f.Add(uint64(3), uint16(2000), uint16(896), uint16(1))
	f.Add(uint64(4), uint16(17), uint16(16), uint16(2))
	f.Fuzz(func(t *testing.T, seed uint64, sw, dw, from uint16) {
		s, d := 1+int(sw%2500), 1+int(dw%2500)
		rng := rand.New(rand.NewPCG(seed, uint64(s)<<32|uint64(d)<<16|uint64(from)))
		p := horizontalTaps(fixedTaps(weights(s, d)), s)
		checkHorizontal(t, &p, randomRow(rng, s), randomRow(rng, s), int(from)%(d/2+1))
	})
}

// BenchmarkHorizontal is the horizontal pass of two rows of 1024 into
// 896, the audit client's case: applyPair (the kernel where there is
// one) against applyPairGo.
func BenchmarkHorizontal(b *testing.B) {
	rng := rand.New(rand.NewPCG(5, 6))
	p := horizontalTaps(fixedTaps(weights(1024, 896)), 1024)
	ra, rb := randomRow(rng, 1024), randomRow(rng, 1024)
	outA, outB, pair := make([]uint64, 448), make([]uint64, 448), make([]uint64, 1024)
	b.Run("dispatch", func(b *testing.B) {
		for range b.N {
			p.applyPair(ra, rb, outA, outB, pair)
		}
	})
	b.Run("go", func(b *testing.B) {
		for range b.N {
			p.applyPairGo(ra, rb, outA, outB, pair)
		}
	})
}
