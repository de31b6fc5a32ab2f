package imaging

import (
	"bufio"
	"encoding/binary"
	"hash/crc32"
	"image"
	"io"
	"slices"
	"sync"
)

// encodeGrayPNG writes an 8- or 16-bit grey PNG with the "Up" filter on
// every row and Huffman-only deflate. The standard encoder tries five
// filters per row, which costs more than the compression; for radiographs
// Up is nearly as small and several times faster. After Up, a radiograph
// is mostly small differences with few long repeats, so Huffman coding
// alone compresses it better than BestSpeed's match search (475 against
// 540 KB for a 1024² NIH image) at about half the CPU; our own
// Huffman-only writer (appendZlibHuffman) takes about a third of the
// CPU of compress/flate's for the same size.
func encodeGrayPNG(w io.Writer, pix []byte, width, height, stride, bytesPerPixel int) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	bw.WriteString("\x89PNG\r\n\x1a\n")
	var ihdr [13]byte
	binary.BigEndian.PutUint32(ihdr[0:], uint32(width))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(height))
	ihdr[8] = byte(8 * bytesPerPixel) // bit depth
	ihdr[9] = 0                       // greyscale
	writeChunk(bw, "IHDR", ihdr[:])
	rowLen := width * bytesPerPixel
	bufs := encodeBuffers.Get().(*[2][]byte)
	defer func() {
		if cap(bufs[0])+cap(bufs[1]) <= maxPooledBuffer {
			encodeBuffers.Put(bufs)
		}
	}()
	filtered := slices.Grow(bufs[0][:0], (1+rowLen)*height)[:(1+rowLen)*height]
	prev := make([]byte, rowLen)
	for y := 0; y < height; y++ {
		row := filtered[y*(1+rowLen) : (y+1)*(1+rowLen)]
		row[0] = 2 // Up
		cur := pix[y*stride : y*stride+rowLen]
		for i, c := range cur {
			row[1+i] = c - prev[i]
		}
		prev = cur
	}
	z := appendZlibHuffman(bufs[1][:0], filtered)
	bufs[0], bufs[1] = filtered[:0], z[:0]
	for len(z) > 0 {
		n := min(len(z), 1<<18) // IDAT chunks of up to 256 KiB
		writeChunk(bw, "IDAT", z[:n])
		z = z[n:]
	}
	writeChunk(bw, "IEND", nil)
	return bw.Flush()
}

// maxPooledBuffer bounds what one entry of imaging's pools (encodeBuffers,
// idatBuffers, resizeScratch, fitBuffers) keeps between images: a
// radiograph's buffers (a 1024x1024 16-bit image's rows are 2 MiB, its
// IDAT less), not those of the largest image the budget allows. Larger
// buffers are allocated for the one image and dropped, so an idle
// process holds at most 4 pools x 8 MiB per P until the collector empties
// them. docs/decisions.md says why these pools are allowed.
const maxPooledBuffer = 8 << 20

// encodeBuffers keep the filtered rows and the deflate stream of one
// encoding at a time.
var encodeBuffers = sync.Pool{New: func() any { return new([2][]byte) }}

func writeChunk(w *bufio.Writer, typ string, data []byte) {
	var hdr [8]byte
	binary.BigEndian.PutUint32(hdr[:4], uint32(len(data)))
	copy(hdr[4:], typ)
	w.Write(hdr[:])
	w.Write(data)
	crc := crc32.NewIEEE()
	crc.Write(hdr[4:])
	crc.Write(data)
	var sum [4]byte
	binary.BigEndian.PutUint32(sum[:], crc.Sum32())
	w.Write(sum[:])
}

// fastGray reports whether img can take the fast grey path.
func fastGray(img image.Image) (pix []byte, w, h, stride, bpp int, ok bool) {
	switch g := img.(type) {
	case *image.Gray:
		b := g.Bounds()
		return g.Pix[g.PixOffset(b.Min.X, b.Min.Y):], b.Dx(), b.Dy(), g.Stride, 1, true
	case *image.Gray16:
		b := g.Bounds()
		return g.Pix[g.PixOffset(b.Min.X, b.Min.Y):], b.Dx(), b.Dy(), g.Stride, 2, true
	}
	return nil, 0, 0, 0, 0, false
}
