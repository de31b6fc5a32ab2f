//go:build !amd64 || purego

package imaging

// adler32Sum is hash/adler32.Checksum of data. Without the amd64 AVX2
// kernel (another GOARCH, or -tags purego to build and test the portable
// code on amd64) it is the pure-Go SWAR sum.
func adler32Sum(data []byte) uint32 {
	return adler32Generic(1, data)
}
