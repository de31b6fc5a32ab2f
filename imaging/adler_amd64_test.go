//go:build !purego

package imaging

import "testing"

// adlerKernels are the Adler-32 codes this build has: the pure-Go sum,
// which adler32Sum falls back on, and the AVX2 kernel with its Go tail
// when the CPU has AVX2 (a test on a CPU without it says so).
func adlerKernels() []adlerKernel {
	ks := []adlerKernel{{"adler32Generic", adler32Generic}}
	if useAVX2 {
		ks = append(ks, adlerKernel{"adler32AVX2", func(adler uint32, p []byte) uint32 {
			n := len(p) &^ 31
			return adler32Generic(adler32AVX2(adler, p[:n]), p[n:])
		}})
	}
	return ks
}

func TestAdler32AVX2Present(t *testing.T) {
	requireAVX2(t)
}
