//go:build !purego

package imaging

// adler32AVX2 continues the Adler-32 checksum adler (s2<<16 | s1, both
// below 65521) over p, whose length must be a multiple of 32, and returns
// it reduced. It is in adler_amd64.s.
//
//go:noescape
func adler32AVX2(adler uint32, p []byte) uint32

// adler32Sum is hash/adler32.Checksum of data: whole 32-byte blocks in the
// AVX2 kernel, which sums a block in a few vector instructions where the
// SWAR code needs a dozen scalar ones per 8 bytes, and the tail in Go.
//
// The kernel gets at most adlerCallBytes at a time: an assembly call
// cannot be preempted, and a 512 MiB buffer in one call would hold its
// thread for ~12 ms.
func adler32Sum(data []byte) uint32 {
	if !useAVX2 {
		return adler32Generic(1, data)
	}
	adler := uint32(1)
	for len(data) >= 32 {
		n := min(len(data), adlerCallBytes) &^ 31
		adler = adler32AVX2(adler, data[:n])
		data = data[n:]
	}
	return adler32Generic(adler, data)
}

// adlerCallBytes is the most one adler32AVX2 call sums (~25 µs).
const adlerCallBytes = 1 << 20
