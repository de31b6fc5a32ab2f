package imaging

import "encoding/binary"

// adler32Generic continues the Adler-32 checksum adler (s2<<16 | s1, both
// below 65521; 1 for a fresh one) over data, 8 bytes a step instead of
// hash/adler32's one. It is adler32Sum where there is no AVX2 kernel
// (other GOARCH, -tags purego, a CPU without AVX2) and the amd64
// kernel's tail of fewer than 32 bytes. For a run of words
// x_0…x_{m-1} (n = 8m bytes), Adler's sums advance by
//
//	s1 += Σ bytes
//	s2 += n·s1 + 8·Σ_j P_j − Σ_k k·L_k
//
// where P_j is the sum of the bytes of x_0…x_j and L_k the sum of the
// k-th bytes of all words: the byte sums of a word and its lanes come
// from a few masks and one multiply, with no chain through every byte.
func adler32Generic(adler uint32, data []byte) uint32 {
	const (
		mod   = 65521
		words = 256 // per run: the 16-bit lane sums hold 257 bytes of 255
		even  = 0x00ff00ff00ff00ff
		ones  = 0x0001000100010001
	)
	s1, s2 := uint64(adler&0xffff), uint64(adler>>16)
	for len(data) >= 8 {
		m := min(len(data)/8, words)
		var e, o, p, sp uint64 // lane sums of even and odd bytes, P_j, Σ P_j
		for run := data[:8*m]; len(run) >= 8; run = run[8:] {
			x := binary.LittleEndian.Uint64(run)
			xe, xo := x&even, x>>8&even
			e += xe
			o += xo
			p += (xe + xo) * ones >> 48
			sp += p
		}
		data = data[8*m:]
		var kl uint64 // Σ k·L_k
		for l := range uint64(4) {
			kl += 2*l*(e>>(16*l)&0xffff) + (2*l+1)*(o>>(16*l)&0xffff)
		}
		s2 = (s2 + uint64(8*m)*s1 + 8*sp - kl) % mod
		s1 = (s1 + p) % mod
	}
	for _, c := range data {
		s1 += uint64(c)
		s2 += s1
	}
	return uint32(s2%mod)<<16 | uint32(s1%mod)
}
