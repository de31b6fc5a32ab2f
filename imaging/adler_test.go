package imaging

import (
	"bytes"
	"encoding"
	"encoding/binary"
	"hash/adler32"
	"math/rand/v2"
	"testing"
)

// adlerChunkBytes is the amd64 kernel's reduction chunk (adlerChunk in
// adler_amd64.s); the pure-Go code reduces every 2048 bytes. Lengths
// around both are where a wrong bound or a wrong fold shows.
const adlerChunkBytes = 173 * 32

// adlerKernel is one Adler-32 code of this build (adlerKernels, in
// adler_amd64_test.go and adler_other_test.go), continuing a state.
type adlerKernel struct {
	name string
	sum  func(adler uint32, p []byte) uint32
}

// adlerFrom is hash/adler32 continued from the state adler over p: the
// reference for kernels that start from a state other than 1.
func adlerFrom(t testing.TB, adler uint32, p []byte) uint32 {
	t.Helper()
	d := adler32.New()
	state := binary.BigEndian.AppendUint32([]byte("adl\x01"), adler)
	if err := d.(encoding.BinaryUnmarshaler).UnmarshalBinary(state); err != nil {
		t.Fatal(err)
	}
	d.Write(p)
	return d.Sum32()
}

// adlerLengths are lengths 0..300, either side of every multiple of 32
// up to 4096, and either side of 1..3 reduction chunks of both kernels.
func adlerLengths() []int {
	var ns []int
	for n := range 301 {
		ns = append(ns, n)
	}
	for m := 320; m <= 4096; m += 32 {
		ns = append(ns, m-1, m, m+1)
	}
	for _, c := range []int{2048, adlerChunkBytes, 5552} {
		for k := 1; k <= 3; k++ {
			for _, d := range []int{-33, -32, -31, -1, 0, 1, 31, 32, 33} {
				ns = append(ns, k*c+d)
			}
		}
	}
	return ns
}

func adlerPatterns(size int) map[string][]byte {
	random := make([]byte, size)
	rng := rand.New(rand.NewPCG(16, 32))
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	return map[string][]byte{
		"random": random,
		"0xff":   bytes.Repeat([]byte{0xff}, size),
		"0x00":   make([]byte, size),
	}
}

// TestAdler32Differential compares adler32Sum and every kernel this build
// has with hash/adler32 on every length of adlerLengths, at every start
// offset 0..31 (so the vector loads are unaligned), on random, all-0xFF
// and all-zero bytes.
func TestAdler32Differential(t *testing.T) {
	ns := adlerLengths()
	maxN := ns[len(ns)-1]
	for name, buf := range adlerPatterns(maxN + 32) {
		for off := range 32 {
			for _, n := range ns {
				p := buf[off : off+n]
				want := adler32.Checksum(p)
				if got := adler32Sum(p); got != want {
					t.Fatalf("%s off %d len %d: adler32Sum %08x, hash/adler32 %08x", name, off, n, got, want)
				}
				for _, k := range adlerKernels() {
					if got := k.sum(1, p); got != want {
						t.Fatalf("%s off %d len %d: %s %08x, hash/adler32 %08x", name, off, n, k.name, got, want)
					}
				}
			}
		}
	}
}

// TestAdler32NearBound runs all-0xFF input, the largest sums, from states
// whose s1 and s2 are 65520 (the largest a reduced state has), through
// lengths either side of whole reduction chunks: a chunk one block longer
// than the lanes hold, or a fold that drops the state, fails here.
func TestAdler32NearBound(t *testing.T) {
	ff := bytes.Repeat([]byte{0xff}, 4*5552+64)
	states := []uint32{1, 0xfff0fff0, 0xfff00000, 0x0000fff0, 0xfff00001}
	for _, k := range adlerKernels() {
		for _, s := range states {
			for _, n := range adlerLengths() {
				p := ff[:n]
				if got, want := k.sum(s, p), adlerFrom(t, s, p); got != want {
					t.Fatalf("%s from %08x over %d × 0xff: %08x, hash/adler32 %08x", k.name, s, n, got, want)
				}
			}
		}
	}
}

// TestAdler32LargeFF sums 8 MiB and more of 0xFF (s2 wraps the modulus
// thousands of times, every chunk at its largest sums) at two offsets.
func TestAdler32LargeFF(t *testing.T) {
	buf := bytes.Repeat([]byte{0xff}, 8<<20+64)
	for _, p := range [][]byte{buf[:8<<20], buf[5 : 5+8<<20+13]} {
		want := adler32.Checksum(p)
		if got := adler32Sum(p); got != want {
			t.Fatalf("adler32Sum over %d × 0xff: %08x, hash/adler32 %08x", len(p), got, want)
		}
		for _, k := range adlerKernels() {
			if got := k.sum(1, p); got != want {
				t.Fatalf("%s over %d × 0xff: %08x, hash/adler32 %08x", k.name, len(p), got, want)
			}
		}
	}
}

func FuzzAdler32Sum(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("x"))
	f.Add(bytes.Repeat([]byte{0xff}, 3*2048+13))            // runs at their largest lane sums
	f.Add(bytes.Repeat([]byte{0xff}, 600_000))              // s2 wraps the modulus many times
	f.Add(bytes.Repeat([]byte{0xff}, 2*adlerChunkBytes+33)) // vector chunks at their largest sums
	f.Fuzz(func(t *testing.T, data []byte) {
		if got, want := adler32Sum(data), adler32.Checksum(data); got != want {
			t.Fatalf("adler32Sum %08x, hash/adler32 %08x (%d bytes)", got, want, len(data))
		}
		// Every kernel, from the fresh state and, on data[1:], from the
		// state data[0] leaves, which also shifts the block boundaries.
		for _, k := range adlerKernels() {
			if got, want := k.sum(1, data), adler32.Checksum(data); got != want {
				t.Fatalf("%s %08x, hash/adler32 %08x (%d bytes)", k.name, got, want, len(data))
			}
			if len(data) > 0 {
				s := adler32.Checksum(data[:1])
				if got, want := k.sum(s, data[1:]), adler32.Checksum(data); got != want {
					t.Fatalf("%s from %08x %08x, hash/adler32 %08x (%d bytes)", k.name, s, got, want, len(data))
				}
			}
		}
	})
}

// BenchmarkAdler32Sum sums 1 MiB of random bytes, about a decoded 1024²
// grey PNG's raw rows, with whatever adler32Sum is in this build.
func BenchmarkAdler32Sum(b *testing.B) {
	p := adlerPatterns(1 << 20)["random"]
	b.SetBytes(int64(len(p)))
	for b.Loop() {
		adler32Sum(p)
	}
}

// BenchmarkAdler32Generic is the pure-Go sum on the same 1 MiB, for the
// ratio to BenchmarkAdler32Sum in one binary.
func BenchmarkAdler32Generic(b *testing.B) {
	p := adlerPatterns(1 << 20)["random"]
	b.SetBytes(int64(len(p)))
	for b.Loop() {
		adler32Generic(1, p)
	}
}
