package imaging

import (
	"encoding/binary"
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
	return inflateZlibStreamWith(dst, src, new(inflateTables))
}

// inflateTables keep the storage of an inflater's decoding tables from
// one stream to the next (each dynamic block rebuilds them in place), so
// that a batch of images does not allocate them afresh per image.
type inflateTables struct{ lit, dist, clen []uint32 }

// inflateZlibStreamWith is inflateZlibStream building its tables in
// tabs' storage, which it grows when needed and leaves in tabs.
func inflateZlibStreamWith(dst, src []byte, tabs *inflateTables) (ok, sum bool) {
	if len(src) < 6 {
		return false, false
	}
	cmf, flg := src[0], src[1]
	if cmf&0x0f != 8 || cmf>>4 > 7 || (uint(cmf)<<8|uint(flg))%31 != 0 || flg&0x20 != 0 {
		return false, false
	}
	f := inflater{br: bitReader{src: src[:len(src)-4], pos: 2}, dst: dst}
	f.lit.t, f.dist.t, f.clen.t = tabs.lit[:0], tabs.dist[:0], tabs.clen[:0]
	ran := f.run()
	tabs.lit, tabs.dist, tabs.clen = f.lit.t[:0], f.dist.t[:0], f.clen.t[:0]
	if !ran || f.op != len(dst) {
		return false, false
	}
	// The checksum follows the last block, from the next byte boundary.
	end, ok := f.br.alignedPos()
	if !ok || end != len(src)-4 {
		return false, false
	}
	return true, adler32Sum(dst) == binary.BigEndian.Uint32(src[len(src)-4:])
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

// A table entry tells what the next bits of the stream hold:
//
//	bits 0-5    the bits to consume: the code's length plus its extra
//	            bits (a pair of literals: both codes' lengths)
//	bits 8-11   the code's length; in a link, the subtable's index bits
//	bits 12-14  the kind
//	bit 15      a second literal follows the first (kindLit only)
//	bits 16-31  the literal(s), first in the low byte; the length or
//	            distance base; the code-length symbol; a link's offset
//
// The value with its extra bits is base + bits [code length, bits to
// consume) of the stream, so a length or a distance is one lookup.
const (
	kindLit  = 0 << 12 // a literal, a distance or a code-length symbol
	kindLen  = 1 << 12
	kindEnd  = 2 << 12
	kindLink = 3 << 12
	kindBad  = 4 << 12 // no such code, or a symbol deflate refuses
	kindMask = 7 << 12
	pairFlag = 1 << 15

	litBits  = 11 // root index bits of the literal/length table
	distBits = 10
	clenBits = 7 // code-length codes are at most 7 bits: no subtables
)

// huffTable decodes one prefix code: root entries are indexed by the
// next rootBits bits (codes are stored bit-reversed, as they arrive); a
// kindLink entry points to a subtable indexed by the following bits.
type huffTable struct {
	t        []uint32
	rootBits uint
}

// init builds the table for code lengths lens (0: symbol unused) with the
// checks compress/flate makes: the code must be complete, except for a
// single code of length 1; all lengths zero is accepted (decoding with
// it then fails). syms[s] is symbol s's entry without its lengths: kind,
// value and the number of extra bits in the bits to consume.
func (h *huffTable) init(lens []uint8, rootBits uint, syms []uint32) bool {
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
	code := 0
	var next [16]int
	for l := 1; l <= maxLen; l++ {
		code = (code + count[l-1]) << 1
		next[l] = code
	}
	if total := code + count[maxLen]; maxLen != 0 && total != 1<<maxLen && (total != 1 || maxLen != 1) {
		// Kraft sum: next[maxLen]+count[maxLen] is the number of
		// maxLen-bit codes used; all of them for a complete code.
		return false
	}
	root := 1 << rootBits
	subBits, long := 0, 0
	if maxLen > int(rootBits) {
		subBits = maxLen - int(rootBits)
		for l := int(rootBits) + 1; l <= maxLen; l++ {
			long += count[l]
		}
	}
	// Each subtable holds at least one long code: the size is bounded
	// before allocating.
	if size := root + long<<subBits; cap(h.t) < size {
		h.t = make([]uint32, root, size)
	}
	h.t, h.rootBits = h.t[:root], rootBits
	// The symbols in code order (by length, then symbol).
	var start [17]int
	for l := 1; l <= 15; l++ {
		start[l+1] = start[l] + count[l]
	}
	var order [288]uint16
	for sym, l := range lens {
		if l != 0 {
			order[start[l]] = uint16(sym)
			start[l]++
		}
	}
	// Root entries: the codes of length l fill the first 1<<l entries,
	// which are then repeated over the next as many, up to the root's
	// size. Entries no code reaches stay kindBad.
	h.t[0], h.t[1] = kindBad, kindBad
	k, size := 0, 2
	for l := 1; l <= int(rootBits); l++ {
		for range count[l] {
			sym := order[k]
			k++
			h.t[codeIndex(next[l], l)] = syms[sym] + uint32(l) + uint32(l)<<8
			next[l]++
		}
		if size < root {
			copy(h.t[size:2*size], h.t[:size])
			size *= 2
		}
	}
	for l := int(rootBits) + 1; l <= maxLen; l++ {
		for range count[l] {
			sym := order[k]
			k++
			rev := codeIndex(next[l], l)
			next[l]++
			link := h.t[rev&(root-1)]
			if link&kindMask != kindLink {
				link = uint32(len(h.t))<<16 | kindLink | uint32(subBits)<<8
				h.t[rev&(root-1)] = link
				for range 1 << subBits {
					h.t = append(h.t, kindBad)
				}
			}
			sub := h.t[link>>16:][:1<<subBits]
			e := syms[sym] + uint32(l) + uint32(l)<<8
			for i := rev >> rootBits; i < len(sub); i += 1 << (l - int(rootBits)) {
				sub[i] = e
			}
		}
	}
	return true
}

// codeIndex is the table index of the l-bit code c: its bits reversed,
// as they arrive.
func codeIndex(c, l int) int { return int(bits.Reverse16(uint16(c)) >> (16 - l)) }

// pairLiterals lets a root entry of a literal also carry the literal
// after it when both codes fit in the root index, so that runs of short
// literals decode two at a time.
func (h *huffTable) pairLiterals() {
	root := h.t[:1<<h.rootBits]
	// Downwards: root[i>>l] (at or below i) is still a single symbol.
	for i := len(root) - 1; i >= 0; i-- {
		e := root[i]
		l := e & 63
		e2 := root[i>>l]
		l2 := e2 & 63
		// Both single literals, and both codes within the root index
		// (else rootBits-l-l2 wraps to its top bit); without branches.
		pair := e&0xff0000 | e2>>16<<24 | pairFlag | (l + l2)
		if (e|e2)&(kindMask|pairFlag)|(uint32(h.rootBits)-l-l2)&(1<<31) == 0 {
			e = pair
		}
		root[i] = e
	}
}

// lookup returns the entry of the code at the start of bits (which must
// hold at least 15 bits), following a link.
func (h *huffTable) lookup(bits uint64) uint32 {
	e := h.t[bits&(1<<h.rootBits-1)]
	if e&kindMask == kindLink {
		e = h.t[int(e>>16)+int(bits>>h.rootBits&(1<<(e>>8&15)-1))]
	}
	return e
}

// value consumes the code and extra bits of entry e and returns its base
// plus the extra bits.
func (b *bitReader) value(e uint32) int {
	v := int(e>>16) + int(b.bits&(1<<(e&63)-1)>>(e>>8&15))
	b.bits >>= e & 63
	b.n -= uint(e & 63)
	return v
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
	if !f.clen.init(cl[:], clenBits, symEntries().clen[:]) {
		return false
	}
	lens := f.lens[:nlit+ndist]
	for i := 0; i < len(lens); {
		b.refill()
		e := f.clen.lookup(b.bits)
		if e&kindMask != kindLit {
			return false
		}
		x := b.value(e)
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
	syms := symEntries()
	if b.overrun() || !f.lit.init(lens[:nlit], litBits, syms.lit[:]) || !f.dist.init(lens[nlit:], distBits, syms.dist[:]) {
		return false
	}
	f.lit.pairLiterals()
	return true
}

// The fast loop's bit budget (see codesFast), checked at compile time:
// four root entries and the next lookup, or a length and a distance with
// their extra bits and the next lookup, within the 64 bits of a refill.
const (
	_ = uint(64 - 5*litBits)
	_ = uint(64 - (15 + 5 + 15 + 13) - litBits)
)

// fastRoom is the output room the fast loop needs: the longest match
// rounded up to the 8-byte words it is copied in.
const fastRoom = 264

// codes decodes one block's symbols into dst: a fast loop while at least
// 8 bytes of input and fastRoom bytes of output remain, then one symbol
// at a time.
func (f *inflater) codes(lit, dist *huffTable) bool {
	if done, ok := f.codesFast(lit, dist); done {
		return ok
	}
	return f.codesCareful(lit, dist)
}

// codesFast keeps the bit buffer in locals and refills it with one
// 8-byte load per step. After a refill all 64 bits of the buffer are
// the stream's (n counts at least 56 of them): enough to consume four
// root entries (11 bits each, 44) or a length code with its extra bits
// (15+5) and a distance code with its extra bits (15+13), 48 in all,
// and then look up the next entry (11 bits) before the next refill, so
// that the lookup does not wait for it. Output writes may run past what
// the stream has produced (13 bytes after a 3-byte match copied as two
// words, 1 after a single literal): the room check covers them, and what
// follows overwrites them. done is false when it stops for lack of input
// or room, the block not finished.
func (f *inflater) codesFast(lit, dist *huffTable) (done, ok bool) {
	src, dst, op := f.br.src, f.dst, f.op
	bb, n, pos := f.br.bits, f.br.n, f.br.pos
	srcEnd, dstEnd := len(src)-8, len(dst)-fastRoom
	if pos > srcEnd || op > dstEnd {
		return false, false
	}
	lroot := (*[1 << litBits]uint32)(lit.t)
	droot := (*[1 << distBits]uint32)(dist.t)
	bb |= binary.LittleEndian.Uint64(src[pos:]) << (n & 63)
	pos += int((63 - n) >> 3)
	n |= 56
	e := lroot[bb&(1<<litBits-1)]
	for {
		if e&kindMask == kindLit {
			// Up to four root entries of one or two literals each.
			op = putLiterals(dst, op, e)
			bb, n = bb>>(e&63), n-uint(e&63)
			if e = lroot[bb&(1<<litBits-1)]; e&kindMask == kindLit {
				op = putLiterals(dst, op, e)
				bb, n = bb>>(e&63), n-uint(e&63)
				if e = lroot[bb&(1<<litBits-1)]; e&kindMask == kindLit {
					op = putLiterals(dst, op, e)
					bb, n = bb>>(e&63), n-uint(e&63)
					if e = lroot[bb&(1<<litBits-1)]; e&kindMask == kindLit {
						op = putLiterals(dst, op, e)
						bb, n = bb>>(e&63), n-uint(e&63)
						e = lroot[bb&(1<<litBits-1)]
					}
				}
			}
		} else {
			if e&kindMask == kindLink {
				e = lit.t[int(e>>16)+int(bb>>litBits&(1<<(e>>8&15)-1))]
			}
			switch e & kindMask {
			case kindLen:
			case kindLit: // a long literal code
				dst[op] = byte(e >> 16)
				op++
				bb >>= e & 63
				n -= uint(e & 63)
				e = lroot[bb&(1<<litBits-1)]
				goto next
			case kindEnd:
				bb >>= e & 63
				n -= uint(e & 63)
				ok = true
				fallthrough
			default:
				f.br.bits, f.br.n, f.br.pos, f.op = bb, n, pos, op
				return true, ok
			}
			length := int(e>>16) + int(bb&(1<<(e&63)-1)>>(e>>8&15))
			bb >>= e & 63
			n -= uint(e & 63)
			e = droot[bb&(1<<distBits-1)]
			if e&kindMask == kindLink {
				e = dist.t[int(e>>16)+int(bb>>distBits&(1<<(e>>8&15)-1))]
			}
			d := int(e>>16) + int(bb&(1<<(e&63)-1)>>(e>>8&15))
			bb >>= e & 63
			n -= uint(e & 63)
			if e&kindMask != kindLit || d > op {
				f.br.bits, f.br.n, f.br.pos, f.op = bb, n, pos, op
				return true, false
			}
			from := op - d
			switch {
			case d >= 8:
				// Forward in words: each word read was written before.
				binary.LittleEndian.PutUint64(dst[op:], binary.LittleEndian.Uint64(dst[from:]))
				binary.LittleEndian.PutUint64(dst[op+8:], binary.LittleEndian.Uint64(dst[from+8:]))
				for i := 16; i < length; i += 8 {
					binary.LittleEndian.PutUint64(dst[op+i:], binary.LittleEndian.Uint64(dst[from+i:]))
				}
			case d == 1:
				v := uint64(dst[from]) * 0x0101010101010101
				for i := 0; i < length; i += 8 {
					binary.LittleEndian.PutUint64(dst[op+i:], v)
				}
			default:
				for i := range length {
					dst[op+i] = dst[from+i]
				}
			}
			op += length
			e = lroot[bb&(1<<litBits-1)]
		}
	next:
		if pos > srcEnd || op > dstEnd {
			f.br.bits, f.br.n, f.br.pos, f.op = bb, n, pos, op
			return false, false
		}
		bb |= binary.LittleEndian.Uint64(src[pos:]) << (n & 63)
		pos += int((63 - n) >> 3)
		n |= 56
	}
}

// putLiterals writes the one or two literals of root entry e at op (two
// bytes either way) and returns the offset after them.
func putLiterals(dst []byte, op int, e uint32) int {
	_ = dst[op+1]
	dst[op], dst[op+1] = byte(e>>16), byte(e>>24)
	return op + 1 + int(e>>15&1)
}

// codesCareful decodes the rest of a block one symbol at a time, with
// the bit reader's careful refill near the end of the input and exact
// checks of the output room.
func (f *inflater) codesCareful(lit, dist *huffTable) bool {
	b, dst, op := &f.br, f.dst, f.op
	defer func() { f.op = op }()
	for {
		b.refill()
		e := lit.lookup(b.bits)
		switch e & kindMask {
		case kindLit:
			k := 1 + int(e>>15&1)
			if len(dst)-op < k {
				return false
			}
			dst[op] = byte(e >> 16)
			if k == 2 {
				dst[op+1] = byte(e >> 24)
			}
			op += k
			b.take(uint(e & 63))
			continue
		case kindEnd:
			b.take(uint(e & 63))
			return true
		case kindLen:
		default:
			return false
		}
		length := b.value(e)
		e = dist.lookup(b.bits)
		if e&kindMask != kindLit {
			return false
		}
		d := b.value(e)
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

// symbolEntries are the entries of each alphabet's symbols without their
// code lengths (huffTable.init adds them).
type symbolEntries struct {
	lit  [288]uint32
	dist [32]uint32
	clen [19]uint32
}

var symEntries = sync.OnceValue(func() *symbolEntries {
	lengthBase := [29]uint16{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258}
	lengthExtra := [29]uint8{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
	distBase := [30]uint16{1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577}
	distExtra := [30]uint8{0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13}
	var s symbolEntries
	for i := range s.lit {
		switch {
		case i < 256:
			s.lit[i] = uint32(i)<<16 | kindLit
		case i == 256:
			s.lit[i] = kindEnd
		case i-257 < len(lengthBase):
			s.lit[i] = uint32(lengthBase[i-257])<<16 | kindLen | uint32(lengthExtra[i-257])
		default: // 286 and 287 exist only in the fixed code
			s.lit[i] = kindBad
		}
	}
	for i := range s.dist {
		s.dist[i] = kindBad // 30 and 31 exist only in the fixed code
		if i < len(distBase) {
			s.dist[i] = uint32(distBase[i])<<16 | kindLit | uint32(distExtra[i])
		}
	}
	for i := range s.clen {
		s.clen[i] = uint32(i)<<16 | kindLit
	}
	return &s
})

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
	syms := symEntries()
	var f fixedHuffman
	f.lit.init(lens[:], litBits, syms.lit[:])
	f.lit.pairLiterals()
	var d [32]uint8
	for i := range d {
		d[i] = 5
	}
	f.dist.init(d[:], distBits, syms.dist[:])
	return &f
})
