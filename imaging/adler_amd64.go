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
func adler32Sum(data []byte) uint32 {
	n := len(data) &^ 31
	if !useAVX2 || n == 0 {
		return adler32Generic(1, data)
	}
	return adler32Generic(adler32AVX2(1, data[:n]), data[n:])
}
