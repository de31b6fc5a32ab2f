package imaging

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"math/bits"
	"sync"
)

// decodeGrayPNG decodes the PNGs radiographs come as (8- or 16-bit grey,
// not interlaced, no transparency) straight from the file's bytes: the
// IDAT stream is inflated into one buffer holding every filtered row,
// the rows are unfiltered where they lie and then packed into the
// image's pixels, with no per-row reads or copies through the standard
// decoder's reader. The caller has checked the declared size against
// the budget.
//
// ok is false and err nil for any other PNG, and for one whose zlib
// stream this decoder finds damaged or unusual: the caller then decodes
// it with image/png, so that error (or that unusual file) is image/png's;
// for such a hostile file the raw buffer is garbage by then, but the
// collector may not have reclaimed it before image/png allocates, so the
// peak can reach twice the image's size. A file whose stream is
// well-formed but whose row filter is unknown or whose Adler-32 does not
// hold is refused here without a second decode, err wrapping
// ErrMalformed with image/png's own words for it (image/png reads the
// same rows and would stop at the same place). err is ctx's error when
// ctx is done before inflating, after it, or after unfiltering. img is
// nil whenever err is not.
func decodeGrayPNG(ctx context.Context, data []byte) (img image.Image, ok bool, err error) {
	return decodeGrayPNGInto(ctx, data, nil)
}

// decodeGrayPNGInto is decodeGrayPNG decoding into buf when it is large
// enough (the image's pixels then share its memory).
func decodeGrayPNGInto(ctx context.Context, data, buf []byte) (img image.Image, ok bool, err error) {
	img, _, ok, err = decodeGrayPNGRows(ctx, data, buf, nil)
	return img, ok, err
}

// grayRowSink takes the rows of an 8-bit grey PNG as they are
// unfiltered, top to bottom, instead of a decoded image: start is told
// the size first and returns false to decline (the image is then
// decoded whole), feed gets each row, which stays unchanged until the
// next feed returns (the resizer scales two rows at a time) and must not
// be kept longer.
type grayRowSink interface {
	start(width, height int) bool
	feed(row []byte)
}

// decodeGrayPNGRows is decodeGrayPNGInto handing the rows of an 8-bit
// image to sink when sink takes them: img is then nil, with ok true and
// err nil once every row has been fed and the checksum holds (on an error
// the sink has had some rows, and its result must be dropped). raw is the
// buffer the rows were inflated into (buf when it was large enough), for
// the caller to reuse.
func decodeGrayPNGRows(ctx context.Context, data, buf []byte, sink grayRowSink) (img image.Image, raw []byte, ok bool, err error) {
	h, idat, ok := scanGrayPNG(data)
	if !ok {
		return nil, nil, false, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, false, err
	}
	rowLen := h.width * h.bpp
	raw = buf
	if n := (1 + rowLen) * h.height; cap(raw) >= n {
		raw = raw[:n]
	} else {
		raw = make([]byte, n)
	}
	z := idatBuffers.Get().(*idatScratch)
	defer func() {
		if cap(z.stream) <= maxPooledBuffer {
			idatBuffers.Put(z)
		}
	}()
	stream, grown := idatStream(data, idat, z.stream[:0])
	z.stream = grown[:0]
	wellFormed, sum := inflateZlibStreamWith(raw, stream, &z.tables)
	if !wellFormed {
		return nil, nil, false, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, false, err
	}
	var feed func([]byte)
	if sink != nil && h.bpp == 1 && sink.start(h.width, h.height) {
		feed = sink.feed
	}
	// image/png unfilters each row as it reads it and checks the
	// checksum after the last: a bad filter is its verdict first.
	if !unfilterRows(raw, rowLen, h.bpp, feed) {
		return nil, nil, false, fmt.Errorf("%w: PNG: png: invalid format: bad filter type", ErrMalformed)
	}
	if !sum {
		return nil, nil, false, fmt.Errorf("%w: PNG: png: invalid format: zlib: invalid checksum", ErrMalformed)
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, false, err
	}
	if feed != nil {
		return nil, raw, true, nil
	}
	// Pack the rows over their filter bytes: row y moves from
	// y*(1+rowLen)+1 to y*rowLen, never over a row not yet moved.
	for y := 0; y < h.height; y++ {
		copy(raw[y*rowLen:], raw[y*(1+rowLen)+1:(y+1)*(1+rowLen)])
	}
	pix := raw[:rowLen*h.height] // its capacity is raw's, for reuse
	r := image.Rect(0, 0, h.width, h.height)
	if h.bpp == 2 {
		return &image.Gray16{Pix: pix, Stride: rowLen, Rect: r}, raw, true, nil
	}
	return &image.Gray{Pix: pix, Stride: rowLen, Rect: r}, raw, true, nil
}

type grayHeader struct{ width, height, bpp int }

// scanGrayPNG reads the chunk list: the header must describe grey 8 or
// 16 bits, not interlaced; every chunk's CRC must hold; the IDAT chunks
// must be consecutive and followed, eventually, by IEND; no tRNS or PLTE.
// idat is the offset of the first IDAT chunk.
func scanGrayPNG(data []byte) (h grayHeader, idat int, ok bool) {
	const sig = "\x89PNG\r\n\x1a\n"
	if !bytes.HasPrefix(data, []byte(sig)) {
		return h, 0, false
	}
	off, seenIDAT, endIDAT := len(sig), false, false
	for first := true; ; first = false {
		typ, body, next, good := pngChunk(data, off)
		if !good {
			return h, 0, false
		}
		switch {
		case first != (typ == "IHDR"):
			return h, 0, false
		case typ == "IHDR":
			if len(body) != 13 {
				return h, 0, false
			}
			w, ht := binary.BigEndian.Uint32(body[0:]), binary.BigEndian.Uint32(body[4:])
			depth, color, comp, filter, interlace := body[8], body[9], body[10], body[11], body[12]
			if w == 0 || ht == 0 || w > 1<<24 || ht > 1<<24 || color != 0 || comp != 0 || filter != 0 || interlace != 0 || (depth != 8 && depth != 16) {
				return h, 0, false
			}
			h = grayHeader{width: int(w), height: int(ht), bpp: int(depth) / 8}
		case typ == "tRNS" || typ == "PLTE":
			return h, 0, false
		case typ == "IDAT":
			if endIDAT {
				return h, 0, false
			}
			if !seenIDAT {
				seenIDAT, idat = true, off
			}
		case typ == "IEND":
			return h, idat, seenIDAT
		default:
			endIDAT = seenIDAT
		}
		off = next
	}
}

// pngChunk reads the chunk at off, checking its CRC.
func pngChunk(data []byte, off int) (typ string, body []byte, next int, ok bool) {
	typ, body, next, ok = chunkAt(data, off)
	if !ok || crc32.ChecksumIEEE(data[off+4:next-4]) != binary.BigEndian.Uint32(data[next-4:]) {
		return "", nil, 0, false
	}
	return typ, body, next, true
}

// chunkAt reads the chunk at off without checking its CRC.
func chunkAt(data []byte, off int) (typ string, body []byte, next int, ok bool) {
	if len(data)-off < 12 {
		return "", nil, 0, false
	}
	n := binary.BigEndian.Uint32(data[off:])
	if uint64(n) > uint64(len(data)-off-12) {
		return "", nil, 0, false
	}
	end := off + 8 + int(n)
	return string(data[off+4 : off+8]), data[off+8 : end], end + 4, true
}

// idatStream is the zlib stream of the consecutive IDAT chunks from off:
// the one chunk's payload, or the payloads appended to buf. scanGrayPNG
// has checked these chunks' CRCs: they are not computed again.
func idatStream(data []byte, off int, buf []byte) (stream, grown []byte) {
	_, first, off, _ := chunkAt(data, off)
	total, n := len(first), 1
	for o := off; ; n++ {
		typ, body, next, _ := chunkAt(data, o)
		if typ != "IDAT" {
			break
		}
		total += len(body)
		o = next
	}
	if n == 1 {
		return first, buf
	}
	if cap(buf) < total {
		// Grown once to the joined size (within the file's size).
		buf = make([]byte, 0, total)
	}
	buf = append(buf[:0], first...)
	for range n - 1 {
		_, body, next, _ := chunkAt(data, off)
		buf = append(buf, body...)
		off = next
	}
	return buf, buf
}

// idatBuffers hold the joined IDAT payloads and the inflater's tables of
// one image at a time.
var idatBuffers = sync.Pool{New: func() any { return new(idatScratch) }}

type idatScratch struct {
	stream []byte
	tables inflateTables
}

// unfilterRows undoes the PNG row filters in raw (rows of 1+rowLen bytes,
// filter type first), bpp bytes per pixel, handing each row to feed (when
// not nil) as soon as it is unfiltered. ok is false for an unknown filter
// type.
func unfilterRows(raw []byte, rowLen, bpp int, feed func(row []byte)) bool {
	stride := 1 + rowLen
	prev := make([]byte, rowLen) // the row above the first is zero
	var pt paethTable
	pt.init()
	for y := 0; y+stride <= len(raw); y += stride {
		cur := raw[y+1 : y+stride : y+stride]
		if !unfilterRow(raw[y], cur, prev, bpp, &pt) {
			return false
		}
		if feed != nil {
			feed(cur)
		}
		prev = cur
	}
	return true
}

// unfilterRow undoes filter in cur given the unfiltered row above, prev;
// pt is a paethTable made by init.
func unfilterRow(filter byte, cur, prev []byte, bpp int, pt *paethTable) bool {
	prev = prev[:len(cur)]
	switch filter {
	case 0: // None
	case 1: // Sub
		if bpp == 1 {
			sub1(cur)
			break
		}
		for i := bpp; i < len(cur); i++ {
			cur[i] += cur[i-bpp]
		}
	case 2: // Up
		up(cur, prev)
	case 3: // Average
		if bpp == 1 {
			average1(cur, prev)
			break
		}
		for i := 0; i < bpp; i++ {
			cur[i] += prev[i] / 2
		}
		for i := bpp; i < len(cur); i++ {
			cur[i] += uint8((int(cur[i-bpp]) + int(prev[i])) / 2)
		}
	case 4: // Paeth
		if bpp == 1 {
			paeth1(cur, prev, pt)
			break
		}
		for i := range bpp {
			var a, c int
			for j := i; j < len(cur); j += bpp {
				a = paethStep(cur, prev, j, a, c)
				c = int(prev[j])
			}
		}
	default:
		return false
	}
	return true
}

// sub1 is the Sub filter for one byte per pixel, the pixel to the left
// kept in a register rather than reloaded from the row just stored.
func sub1(cur []byte) {
	var a byte
	for i, x := range cur {
		a += x
		cur[i] = a
	}
}

// up is the Up filter eight bytes at a time: the bytewise sum of two
// words is the sum of their low seven bits per byte with the top bits
// added by exclusive or, so no carry crosses a byte.
func up(cur, prev []byte) {
	const hi = 0x8080808080808080
	prev = prev[:len(cur)]
	i := 0
	for ; i+8 <= len(cur); i += 8 {
		x, y := binary.LittleEndian.Uint64(cur[i:]), binary.LittleEndian.Uint64(prev[i:])
		binary.LittleEndian.PutUint64(cur[i:], ((x&^hi)+(y&^hi))^((x^y)&hi))
	}
	for ; i < len(cur); i++ {
		cur[i] += prev[i]
	}
}

// average1 is the Average filter for one byte per pixel, the pixel to
// the left kept in a register.
func average1(cur, prev []byte) {
	prev = prev[:len(cur)]
	var a uint
	for i, b := range prev {
		a = (uint(cur[i]) + (a+uint(b))>>1) & 0xff
		cur[i] = uint8(a)
	}
}

// paethTable holds, for each difference d = b-c of the bytes above and
// above-left (index d mod 512), the two intervals of t = a-c (a the byte to
// the left) in which the Paeth predictor is b and c; it is a otherwise.
// With e = |d|, b is chosen for t in [loB, loB+nB) and c for t in
// [loC, loC+nC), where nB = e+e/2, nC = 2e-1-e/2 (both 0 when e is 0) and
//
//	d > 0: loB = -e/2,  loC = 1-2e
//	d < 0: loB = 1-e,   loC = e/2+1
//
// which is the specification's choice (a when |b-c| is no more than
// |a-c| and |a+b-2c|, else b when |a-c| is no more than |a+b-2c|, else
// c; TestPaeth1Exhaustive checks every a, b and c).
//
// The four values are kept in four arrays rather than an array of
// structs, and indexed by d mod 512 (unique for -255..255): each is
// then one indexed load in paeth1's loop, with no offset to add.
type paethTable struct {
	loB, loC [512]int16
	nB, nC   [512]uint16
}

func (pt *paethTable) init() {
	for d := -255; d <= 255; d++ {
		e := absInt(d)
		h := e / 2
		loB, loC := -h, 1-2*e
		if d < 0 {
			loB, loC = 1-e, h+1
		}
		nC := max(2*e-1-h, 0)
		pt.loB[d&511], pt.loC[d&511], pt.nB[d&511], pt.nC[d&511] = int16(loB), int16(loC), uint16(e+h), uint16(nC)
	}
}

// paeth1 is the Paeth filter for one byte per pixel: a is the byte to
// the left, b above, c above-left. The intervals of paethTable, looked up
// off the serial chain through a, leave on it two subtractions, two
// unsigned comparisons, two conditional moves and the add, where the
// direct form has three absolute values and two dependent comparisons.
func paeth1(cur, prev []byte, pt *paethTable) {
	cur = cur[:len(prev)]
	loB, loC, nB, nC := pt.loB[:], pt.loC[:], pt.nB[:], pt.nC[:]
	var a, c int
	for j, pb := range prev {
		b := int(pb)
		d := (b - c) & 511
		lb, lc := c+int(loB[d]), c+int(loC[d])
		pred := a
		if uint(a-lb) < uint(nB[d]) {
			pred = b
		}
		if uint(a-lc) < uint(nC[d]) {
			pred = c
		}
		a = (pred + int(cur[j])) & 0xff
		cur[j] = uint8(a)
		c = b
	}
}

func paethStep(cur, prev []byte, j, a, c int) int {
	b := int(prev[j])
	p, q := b-c, a-c
	pa, pb, pc := absInt(p), absInt(q), absInt(p+q)
	if pb < pa {
		pa, a = pb, b
	}
	if pc < pa {
		a = c
	}
	a = (a + int(cur[j])) & 0xff
	cur[j] = uint8(a)
	return a
}

func absInt(x int) int {
	m := x >> (bits.UintSize - 1) // all ones when x < 0, on 32-bit ints too
	return (x ^ m) - m
}
