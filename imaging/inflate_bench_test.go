package imaging

import (
	"os"
	"slices"
	"testing"
)

// realIDATStreams are the zlib streams of the real NIH radiographs with
// the raw (filtered) size each inflates to.
func realIDATStreams(b *testing.B) (streams [][]byte, sizes []int) {
	for _, f := range realImages(b) {
		data, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		h, idat, ok := scanGrayPNG(data)
		if !ok {
			continue
		}
		s, _ := idatStream(data, idat, nil)
		streams = append(streams, s)
		sizes = append(sizes, (1+h.width*h.bpp)*h.height)
	}
	if len(streams) == 0 {
		b.Skip("no grey real NIH images")
	}
	return streams, sizes
}

// BenchmarkInflateRealNIH inflates the IDAT streams of every real NIH
// image per op into one reused buffer, as the decoder's pooled buffers
// are; MB/s counts inflated bytes.
func BenchmarkInflateRealNIH(b *testing.B) {
	streams, sizes := realIDATStreams(b)
	buf := make([]byte, slices.Max(sizes))
	total := 0
	for _, n := range sizes {
		total += n
	}
	b.SetBytes(int64(total))
	b.ResetTimer()
	for range b.N {
		for i, s := range streams {
			if !inflateZlib(buf[:sizes[i]], s) {
				b.Fatal("refused a real stream")
			}
		}
	}
}
