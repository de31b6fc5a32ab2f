package imaging

import (
	"encoding/binary"
	"hash/adler32"
	"math/bits"
	"sync"
)

// inflateZlib decompresses the zlib stream src into exactly len(dst)
// bytes. It is the PNG decoder's inflater: the whole stream is in memory
// and the output size is known, so it reads 64 bits at a time from src
// and writes straight into dst (back-references read dst itself), where
// compress/flate reads a byte at a time through an interface and copies
// through a 32 KiB window. It accepts nothing compress/zlib rejects (the
// same checks on headers, code lengths, symbols and distances, and the
// Adler-32 checksum) and is stricter in two ways: the stream must fill
// dst exactly and end exactly at the end of src. ok is false otherwise;
// the caller then falls back to the standard decoder for its verdict.
func inflateZlib(dst, src []byte) (ok bool) {
	ok, sum := inflateZlibStream(dst, src)
	return ok && sum
}

// inflateZlibStream is inflateZlib telling the stream's structure (ok:
// well-formed, fills dst exactly, ends exactly at the end of src) apart
// from its Adler-32 checksum (sum: it holds; meaningful only when ok).
func inflateZlibStream(dst, src []byte) (ok, sum bool) {
	if len(src) < 6 {
		return false, false
	}
	cmf, flg := src[0], src[1]
	if cmf&0x0f != 8 || cmf>>4 > 7 || (uint(cmf)<<8|uint(flg))%31 != 0 || flg&0x20 != 0 {
		return false, false
	}
	f := inflater{br: bitReader{src: src[:len(src)-4], pos: 2}, dst: dst}
	if !f.run() || f.op != len(dst) {
		return false, false
	}
	// The checksum follows the last block, from the next byte boundary.
	end, ok := f.br.alignedPos()
	if !ok || end != len(src)-4 {
		return false, false
	}
	return true, adler32.Checksum(dst) == binary.BigEndian.Uint32(src[len(src)-4:])
}

// bitReader reads deflate's LSB-first bit stream. Past the end of src it
// reads zero bytes, counting them in pad; a stream that needs them is
// cut short, which alignedPos and the block readers check.
type bitReader struct {
	src  []byte
	pos  int // next byte of src to load
	pad  int // zero bytes loaded past the end
	bits uint64
	n    uint // valid bits in bits
}

// refill loads whole bytes until at least 56 bits are held.
func (b *bitReader) refill() {
	if b.pos+8 <= len(b.src) {
		b.bits |= binary.LittleEndian.Uint64(b.src[b.pos:]) << b.n
		b.pos += int((63 - b.n) >> 3)
		b.n |= 56
		return
	}
	for b.n <= 56 {
		if b.pos < len(b.src) {
			b.bits |= uint64(b.src[b.pos]) << b.n
			b.pos++
		} else {
			b.pad++
		}
		b.n += 8
	}
}

// take returns the next k bits (k <= 32; refill first if fewer are held).
func (b *bitReader) take(k uint) uint32 {
	v := uint32(b.bits & (1<<k - 1))
	b.bits >>= k
	b.n -= k
	return v
}

// overrun reports whether bits past the end of src have been used.
func (b *bitReader) overrun() bool { return uint(b.pad)*8 > b.n }

// alignedPos drops the bits up to the next byte boundary and returns
// the offset in src of the next unread byte, emptying the buffer. ok is
// false when the stream has read past the end.
func (b *bitReader) alignedPos() (int, bool) {
	if b.overrun() {
		return 0, false
	}
	b.take(b.n & 7)
	p := b.pos + b.pad - int(b.n>>3)
	b.bits, b.n, b.pad, b.pos = 0, 0, 0, p
	return p, p <= len(b.src)
}

// huffTable decodes one prefix code: entries are indexed by the next
// tableBits bits (codes are stored bit-reversed, as they arrive). An
// entry holds the symbol in its high 16 bits and the code length in its
// low 4 bits (0: no such code); linkFlag marks an entry whose high bits
// are the offset of a subtable indexed by the following subBits bits.
type huffTable struct {
	t       []uint32
	subBits uint
}

const (
	tableBits = 10
	linkFlag  = 1 << 4
)

// init builds the table for code lengths lens (0: symbol unused) with the
// checks compress/flate makes: the code must be complete, except for a
// single code of length 1; all lengths zero is accepted (decoding with
// it then fails).
func (h *huffTable) init(lens []uint8) bool {
	var count [16]int
	maxLen := 0
	for _, l := range lens {
		if l > 15 {
			return false
		}
		if l != 0 {
			count[l]++
			maxLen = max(maxLen, int(l))
		}
	}
	if cap(h.t) < 1<<tableBits {
		h.t = make([]uint32, 1<<tableBits, 1<<tableBits+1<<(15-tableBits+5))
	}
	h.t = h.t[:1<<tableBits]
	clear(h.t)
	if maxLen == 0 {
		return true
	}
	code := 0
	var next [16]int
	for l := 1; l <= maxLen; l++ {
		code = (code + count[l-1]) << 1
		next[l] = code
	}
	if total := code + count[maxLen]; total != 1<<maxLen && (total != 1 || maxLen != 1) {
		// Kraft sum: next[maxLen]+count[maxLen] is the number of
		// maxLen-bit codes used; all of them for a complete code.
		return false
	}
	h.subBits = 0
	if maxLen > tableBits {
		h.subBits = uint(maxLen - tableBits)
	}
	for sym, l := range lens {
		if l == 0 {
			continue
		}
		c := next[l]
		next[l]++
		rev := int(bits.Reverse16(uint16(c)) >> (16 - l))
		e := uint32(sym)<<16 | uint32(l)
		if int(l) <= tableBits {
			for i := rev; i < 1<<tableBits; i += 1 << l {
				h.t[i] = e
			}
			continue
		}
		root := rev & (1<<tableBits - 1)
		link := h.t[root]
		if link == 0 {
			link = uint32(len(h.t))<<16 | linkFlag
			h.t[root] = link
			h.t = append(h.t, make([]uint32, 1<<h.subBits)...)
		}
		sub := h.t[link>>16:][:1<<h.subBits]
		for i := rev >> tableBits; i < len(sub); i += 1 << (int(l) - tableBits) {
			sub[i] = e
		}
	}
	return true
}

// decode reads one symbol; the buffer must hold at least 15 bits. ok is
// false for a bit pattern that is no code.
func (h *huffTable) decode(b *bitReader) (int, bool) {
	e := h.t[b.bits&(1<<tableBits-1)]
	if e&linkFlag != 0 {
		e = h.t[int(e>>16)+int(b.bits>>tableBits&(1<<h.subBits-1))]
	}
	l := uint(e & 15)
	if l == 0 {
		return 0, false
	}
	b.bits >>= l
	b.n -= l
	return int(e >> 16), true
}

type inflater struct {
	br        bitReader
	dst       []byte
	op        int
	lit, dist huffTable
	clen      huffTable
	lens      [286 + 30]uint8
}

func (f *inflater) run() bool {
	for {
		f.br.refill()
		final := f.br.take(1)
		var ok bool
		switch f.br.take(2) {
		case 0:
			ok = f.stored()
		case 1:
			fixed := fixedTables()
			ok = f.codes(&fixed.lit, &fixed.dist)
		case 2:
			ok = f.dynamic() && f.codes(&f.lit, &f.dist)
		default:
			return false
		}
		if !ok || f.br.overrun() {
			return false
		}
		if final == 1 {
			return true
		}
	}
}

func (f *inflater) stored() bool {
	p, ok := f.br.alignedPos()
	src := f.br.src
	if !ok || len(src)-p < 4 {
		return false
	}
	n := int(binary.LittleEndian.Uint16(src[p:]))
	if binary.LittleEndian.Uint16(src[p+2:]) != ^uint16(n) {
		return false
	}
	p += 4
	if len(src)-p < n || len(f.dst)-f.op < n {
		return false
	}
	f.op += copy(f.dst[f.op:], src[p:p+n])
	f.br.pos = p + n
	return true
}

var codeLengthOrder = [19]int{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}

func (f *inflater) dynamic() bool {
	b := &f.br
	b.refill()
	nlit := int(b.take(5)) + 257
	ndist := int(b.take(5)) + 1
	nclen := int(b.take(4)) + 4
	if nlit > 286 || ndist > 30 {
		return false
	}
	var cl [19]uint8
	for i := range nclen {
		b.refill()
		cl[codeLengthOrder[i]] = uint8(b.take(3))
	}
	if !f.clen.init(cl[:]) {
		return false
	}
	lens := f.lens[:nlit+ndist]
	for i := 0; i < len(lens); {
		b.refill()
		x, ok := f.clen.decode(b)
		if !ok {
			return false
		}
		if x < 16 {
			lens[i] = uint8(x)
			i++
			continue
		}
		var rep int
		var v uint8
		switch x {
		case 16:
			if i == 0 {
				return false
			}
			rep, v = 3+int(b.take(2)), lens[i-1]
		case 17:
			rep = 3 + int(b.take(3))
		default: // 18
			rep = 11 + int(b.take(7))
		}
		if i+rep > len(lens) {
			return false
		}
		for range rep {
			lens[i] = v
			i++
		}
	}
	return !b.overrun() && f.lit.init(lens[:nlit]) && f.dist.init(lens[nlit:])
}

var (
	lengthBase  = [29]uint16{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258}
	lengthExtra = [29]uint8{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
	distBase    = [30]uint16{1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577}
	distExtra   = [30]uint8{0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13}
)

// codes decodes one block's symbols into dst. A refill before each
// symbol holds at least 56 bits: enough for a length code and its extra
// bits (15+5) and a distance code and its extra bits (15+13).
func (f *inflater) codes(lit, dist *huffTable) bool {
	b, dst, op := &f.br, f.dst, f.op
	defer func() { f.op = op }()
	for {
		b.refill()
		sym, ok := lit.decode(b)
		if !ok {
			return false
		}
		if sym < 256 {
			if op >= len(dst) {
				return false
			}
			dst[op] = byte(sym)
			op++
			continue
		}
		if sym == 256 {
			return true
		}
		sym -= 257
		if sym >= len(lengthBase) {
			return false // 286 and 287 exist only in the fixed code
		}
		length := int(lengthBase[sym]) + int(b.take(uint(lengthExtra[sym])))
		d, ok := dist.decode(b)
		if !ok || d >= len(distBase) {
			return false
		}
		d = int(distBase[d]) + int(b.take(uint(distExtra[d])))
		if d > op || length > len(dst)-op {
			return false
		}
		if d >= length {
			copy(dst[op:op+length], dst[op-d:])
			op += length
			continue
		}
		// An overlapping copy repeats the last d bytes.
		for end := op + length; op < end; op++ {
			dst[op] = dst[op-d]
		}
	}
}

type fixedHuffman struct{ lit, dist huffTable }

// fixedTables are the fixed codes of block type 1: literal/length codes
// 0-287 (286 and 287 decode, then are refused), distance codes 0-31 of
// five bits (30 and 31 are refused).
var fixedTables = sync.OnceValue(func() *fixedHuffman {
	var lens [288]uint8
	for i := range lens {
		switch {
		case i < 144:
			lens[i] = 8
		case i < 256:
			lens[i] = 9
		case i < 280:
			lens[i] = 7
		default:
			lens[i] = 8
		}
	}
	var f fixedHuffman
	f.lit.init(lens[:])
	var d [32]uint8
	for i := range d {
		d[i] = 5
	}
	f.dist.init(d[:])
	return &f
})
