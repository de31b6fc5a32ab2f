package imaging

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"slices"
	"sync"
)

// appendGrayPNG appends an 8- or 16-bit grey PNG with the "Up" filter
// on every row and Huffman-only deflate to dst. The standard encoder
// tries five filters per row, which costs more than the compression; for
// radiographs Up is nearly as small and several times faster. After Up,
// a radiograph is mostly small differences with few long repeats, so
// Huffman coding alone compresses it better than BestSpeed's match
// search (475 against 540 KB for a 1024² NIH image) at about half the
// CPU; our own Huffman-only writer takes about a third of the CPU of
// compress/flate's for the same size.
//
// Every block's code is planned before anything is written, so the PNG's
// length is known: dst grows once to hold it and the deflate stream is
// written in place, its 256 KiB IDAT chunks then moved apart for their
// headers, instead of going through a bufio.Writer into a growing buffer.
func appendGrayPNG(dst, pix []byte, width, height, stride, bytesPerPixel int) ([]byte, error) {
	rowLen := width * bytesPerPixel
	sc := encodeBuffers.Get().(*encodeScratch)
	defer func() {
		if cap(sc.filtered) <= maxPooledBuffer {
			encodeBuffers.Put(sc)
		}
	}()
	filtered := slices.Grow(sc.filtered[:0], (1+rowLen)*height)[:(1+rowLen)*height]
	sc.filtered = filtered[:0]
	prev := make([]byte, rowLen)
	for y := 0; y < height; y++ {
		row := filtered[y*(1+rowLen) : (y+1)*(1+rowLen)]
		row[0] = 2 // Up
		cur := pix[y*stride : y*stride+rowLen]
		subBytes(row[1:], cur, prev)
		prev = cur
	}
	var zlen int
	sc.blocks, zlen = planHuffman(sc.blocks, filtered)
	const chunk = 1 << 18 // IDAT chunks of up to 256 KiB
	chunks := (zlen + chunk - 1) / chunk
	if n := 8 + 12 + 13 + chunks*12 + zlen + 12; cap(dst)-len(dst) < n {
		// make, not slices.Grow: memory fresh from the system is not
		// cleared before it is written.
		dst = append(make([]byte, 0, len(dst)+n), dst...)
	}
	dst = append(dst, "\x89PNG\r\n\x1a\n"...)
	var ihdr [13]byte
	binary.BigEndian.PutUint32(ihdr[0:], uint32(width))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(height))
	ihdr[8] = byte(8 * bytesPerPixel) // bit depth
	ihdr[9] = 0                       // greyscale
	dst = appendChunk(dst, "IHDR", ihdr[:])
	zoff := len(dst) + 8 // the first chunk's data
	z := appendHuffman(dst[:zoff], filtered, sc.blocks, adler32Sum(filtered))
	if len(z) != zoff+zlen || &z[0] != &dst[0] {
		return nil, fmt.Errorf("imaging: PNG encoder wrote %d stream bytes, planned %d", len(z)-zoff, zlen)
	}
	dst = dst[:zoff-8+chunks*12+zlen]
	for i := chunks - 1; i > 0; i-- { // the last first: chunks move right
		n := min(chunk, zlen-i*chunk)
		copy(dst[zoff+i*(chunk+12):], dst[zoff+i*chunk:zoff+i*chunk+n])
	}
	for i := range chunks {
		n := min(chunk, zlen-i*chunk)
		h := zoff - 8 + i*(chunk+12)
		binary.BigEndian.PutUint32(dst[h:], uint32(n))
		copy(dst[h+4:], "IDAT")
		binary.BigEndian.PutUint32(dst[h+8+n:], crc32.ChecksumIEEE(dst[h+4:h+8+n]))
	}
	return appendChunk(dst, "IEND", nil), nil
}

// subBytes sets dst[i] = a[i] - b[i] (mod 256), eight bytes a step: the
// high bit of each byte is set in a and cleared in b, so that no byte
// borrows from the next, and put back by an exclusive or.
func subBytes(dst, a, b []byte) {
	const high = 0x8080808080808080
	i := 0
	for ; i+8 <= len(a); i += 8 {
		x, y := binary.LittleEndian.Uint64(a[i:]), binary.LittleEndian.Uint64(b[i:])
		binary.LittleEndian.PutUint64(dst[i:], ((x|high)-(y&^high))^((x^^y)&high))
	}
	for ; i < len(a); i++ {
		dst[i] = a[i] - b[i]
	}
}

// maxPooledBuffer bounds what one entry of imaging's pools (encodeBuffers,
// idatBuffers, resizeScratch, fitBuffers, fileBuffers) keeps between
// images: a radiograph's buffers (a 1024x1024 16-bit image's rows are 2
// MiB, its IDAT less), not those of the largest image the budget allows.
// Larger buffers are allocated for the one image and dropped, so an idle
// process holds at most 5 pools x 8 MiB per P until the collector empties
// them. docs/decisions.md says why these pools are allowed.
const maxPooledBuffer = 8 << 20

// encodeBuffers keep the filtered rows and the block plans of one
// encoding at a time.
var encodeBuffers = sync.Pool{New: func() any { return new(encodeScratch) }}

type encodeScratch struct {
	filtered []byte
	blocks   []huffBlock
}

// appendChunk appends a PNG chunk.
func appendChunk(dst []byte, typ string, data []byte) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(data)))
	h := len(dst)
	dst = append(append(dst, typ...), data...)
	return binary.BigEndian.AppendUint32(dst, crc32.ChecksumIEEE(dst[h:]))
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
