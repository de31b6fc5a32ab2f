package imaging

import (
	"encoding/binary"
	"math/bits"
	"slices"
)

// huffBlockSize is how many bytes each Huffman-only block codes with its
// own code: a radiograph's statistics change from region to region.
const huffBlockSize = 64 << 10

// huffBlock is the code of one Huffman-only deflate block, planned before
// anything is written so that the stream's exact length is known.
type huffBlock struct {
	n     int         // bytes of data the block codes
	table [257]uint32 // a literal's code (bit-reversed) | its length << 16; 256 ends the block
	codes [257]uint16 // the codes of table alone, for the literal writer
	lens  [257]uint8
	cl    [19]uint32 // the code-length code, packed as table
	nclen int        // code-length code lengths sent (4..19)
	bits  int        // the whole block's bits, header included
}

// planHuffman plans the blocks coding data (one empty block for no data)
// into blocks (reused when large enough) and returns them with the
// length of the zlib stream appendHuffman writes: per block a
// histogram, a code limited to 15 bits and the header's code-length code.
func planHuffman(blocks []huffBlock, data []byte) ([]huffBlock, int) {
	nb := max(1, (len(data)+huffBlockSize-1)/huffBlockSize)
	if cap(blocks) < nb {
		blocks = make([]huffBlock, nb)
	}
	blocks = blocks[:nb]
	total := 0
	for i := range blocks {
		blk := &blocks[i]
		chunk := data[min(len(data), i*huffBlockSize):min(len(data), (i+1)*huffBlockSize)]
		freq := histogram(chunk)
		freq[256] = 1 // end of block
		blk.plan(len(chunk), &freq)
		total += blk.bits
	}
	return blocks, 2 + (total+7)/8 + 4
}

// plan sets the block's codes and size from the frequencies of its n
// bytes.
func (blk *huffBlock) plan(n int, freq *[257]int) {
	blk.n = n
	huffmanLengths(freq[:], blk.lens[:], 15)
	var codes [257]uint16
	canonicalCodes(blk.lens[:], codes[:])
	bits := 0
	blk.codes = codes
	for c := range blk.table {
		blk.table[c] = uint32(codes[c]) | uint32(blk.lens[c])<<16
		bits += freq[c] * int(blk.lens[c])
	}
	// The header: 257 literal/length code lengths and one distance code
	// of length 1 (never used; the form compress/flate and zlib write and
	// accept), themselves coded with a code of at most 7 bits and no
	// run-length symbols.
	var clFreq [19]int
	for _, l := range blk.lens {
		clFreq[l]++
	}
	clFreq[1]++ // the distance code
	var clLens [19]uint8
	var clCodes [19]uint16
	huffmanLengths(clFreq[:], clLens[:], 7)
	canonicalCodes(clLens[:], clCodes[:])
	blk.nclen = 19
	for blk.nclen > 4 && clLens[codeLengthOrder[blk.nclen-1]] == 0 {
		blk.nclen--
	}
	bits += 3 + 5 + 5 + 4 + 3*blk.nclen
	for s := range blk.cl {
		blk.cl[s] = uint32(clCodes[s]) | uint32(clLens[s])<<16
		bits += clFreq[s] * int(clLens[s])
	}
	blk.bits = bits
}

// appendZlibHuffman appends data as a zlib stream of dynamic-Huffman
// deflate blocks of literals only (what compress/flate's HuffmanOnly
// writes, without its per-symbol token buffer and generic block writer).
func appendZlibHuffman(dst, data []byte) []byte {
	blocks, n := planHuffman(nil, data)
	return appendHuffman(slices.Grow(dst, n), data, blocks, adler32Sum(data))
}

// appendHuffman appends the zlib stream planned by blocks, whose adler32
// is sum. It writes in place when dst has the planned room, and may write
// up to 8 bytes past the stream's end within dst's capacity.
func appendHuffman(dst, data []byte, blocks []huffBlock, sum uint32) []byte {
	dst = append(dst, 0x78, 0x01) // deflate, 32 KiB window, no dictionary, fastest
	w := bitWriter{b: dst}
	for i := range blocks {
		blk := &blocks[i]
		final := uint64(0)
		if i == len(blocks)-1 {
			final = 1
		}
		w.write(final|2<<1, 3) // BFINAL, BTYPE=10 (dynamic)
		w.header(blk)
		w.literals(data[:blk.n], &blk.codes, &blk.lens)
		data = data[blk.n:]
		w.code(blk.table[256])
	}
	return binary.BigEndian.AppendUint32(w.flush(), sum)
}

// histogram counts the bytes of block in four tables at once, so that
// runs of one value do not wait on one counter.
func histogram(block []byte) [257]int {
	var h [4][256]int32
	for len(block) >= 4 {
		h[0][block[0]]++
		h[1][block[1]]++
		h[2][block[2]]++
		h[3][block[3]]++
		block = block[4:]
	}
	for _, c := range block {
		h[0][c]++
	}
	var f [257]int
	for c := range 256 {
		f[c] = int(h[0][c]) + int(h[1][c]) + int(h[2][c]) + int(h[3][c])
	}
	return f
}

// bitWriter writes deflate's LSB-first bit stream.
type bitWriter struct {
	b    []byte
	acc  uint64
	nacc uint
}

// write appends the low n bits of v (n <= 32).
func (w *bitWriter) write(v uint64, n uint) {
	w.acc |= v << w.nacc
	w.nacc += n
	if w.nacc >= 32 {
		w.b = binary.LittleEndian.AppendUint32(w.b, uint32(w.acc))
		w.acc >>= 32
		w.nacc -= 32
	}
}

// code writes a packed code (code | length << 16).
func (w *bitWriter) code(e uint32) { w.write(uint64(e&0xffff), uint(e>>16)) }

// header writes a dynamic block header for 257 literal/length codes and
// one distance code of length 1.
func (w *bitWriter) header(blk *huffBlock) {
	w.write(0, 5) // HLIT: 257 literal/length codes
	w.write(0, 5) // HDIST: one distance code
	w.write(uint64(blk.nclen-4), 4)
	for _, s := range codeLengthOrder[:blk.nclen] {
		w.write(uint64(blk.cl[s]>>16), 3)
	}
	for _, l := range blk.lens {
		w.code(blk.cl[l])
	}
	w.code(blk.cl[1]) // the distance code's length
}

// literals writes each byte of block with its code (codes[c], lens[c]
// bits). Codes go into a 64-bit accumulator, which is then stored whole
// and advanced by the bytes it completed: no branch per symbol, no append
// per word. Four codes fit the accumulator (at most 7 bits pending, at
// most 63 after) unless they are long, then two do (37 bits at most).
// Keeping the count below 64 lets every shift be masked to 6 bits, so the
// compiler adds no check for shifts of 64 or more; code and length come
// from two tables, one load each, rather than unpacked from one entry.
// Each store needs 8 bytes of room, which the planned length plus the
// zlib trailer gives but for the last few codes.
func (w *bitWriter) literals(block []byte, codes *[257]uint16, lens *[257]uint8) {
	for w.nacc >= 8 { // at most 7 bits pending, as the loop assumes
		w.b = append(w.b, byte(w.acc))
		w.acc >>= 8
		w.nacc -= 8
	}
	pos := len(w.b)
	out := w.b[:cap(w.b)]
	acc, n := w.acc, w.nacc
	for len(block) >= 4 && pos+8 <= len(out) {
		s0, s1, s2, s3 := block[0], block[1], block[2], block[3]
		acc |= uint64(codes[s0]) << (n & 63)
		n += uint(lens[s0])
		acc |= uint64(codes[s1]) << (n & 63)
		n += uint(lens[s1])
		l2, l3 := uint(lens[s2]), uint(lens[s3])
		if n+l2+l3 <= 63 {
			acc |= uint64(codes[s2]) << (n & 63)
			n += l2
			acc |= uint64(codes[s3]) << (n & 63)
			n += l3
			block = block[4:]
		} else {
			block = block[2:]
		}
		binary.LittleEndian.PutUint64(out[pos:], acc)
		k := n >> 3 // at most 7
		pos += int(k)
		acc >>= (k * 8) & 63
		n &= 7
	}
	w.b, w.acc, w.nacc = out[:pos], acc, n
	for _, c := range block {
		w.write(uint64(codes[c]), uint(lens[c]))
	}
}

// flush writes the last bits, padded to a byte.
func (w *bitWriter) flush() []byte {
	for w.nacc > 0 {
		w.b = append(w.b, byte(w.acc))
		w.acc >>= 8
		w.nacc -= min(w.nacc, 8)
	}
	return w.b
}

// canonicalCodes assigns deflate's canonical codes to lengths, stored
// bit-reversed as the bit writer sends them.
func canonicalCodes(lens []uint8, codes []uint16) {
	var count [16]int
	for _, l := range lens {
		count[l]++
	}
	count[0] = 0
	var next [16]int
	code := 0
	for l := 1; l < 16; l++ {
		code = (code + count[l-1]) << 1
		next[l] = code
	}
	for s, l := range lens {
		if l != 0 {
			codes[s] = bits.Reverse16(uint16(next[l])) >> (16 - l)
			next[l]++
		}
	}
}

// maxHuffSymbols bounds the alphabets huffmanLengths codes (deflate's
// largest has 286 symbols).
const maxHuffSymbols = 288

// huffmanLengths sets lens to the code lengths of a Huffman code for
// freq (0 for unused symbols), none longer than maxLen: a plain Huffman
// code, then, if it is too deep, lengths moved as zlib's and miniz's
// encoders move them (clip to maxLen, then lengthen the deepest shorter
// codes until the Kraft sum is one again), handed out to symbols in order
// of frequency. A lone symbol gets length 1. freq has at most
// maxHuffSymbols entries, each below 2^40.
//
// The plain code merges the two lightest nodes until one is left, ties
// going to the lower id (leaves by symbol, then merged nodes in the order
// made). Leaves sorted by (weight, symbol) and merged nodes, which are
// made in order of weight, form two sorted queues, so the lightest node
// is always at the head of one of them: no heap is needed.
func huffmanLengths(freq []int, lens []uint8, maxLen int) {
	clear(lens)
	var leaves [maxHuffSymbols]uint64 // weight << 16 | leaf id
	var sym [maxHuffSymbols]uint16    // the symbol of a leaf id
	n := 0
	for s, f := range freq {
		if f > 0 {
			leaves[n] = uint64(f)<<16 | uint64(n)
			sym[n] = uint16(s)
			n++
		}
	}
	switch n {
	case 0:
		return
	case 1:
		lens[sym[0]] = 1
		return
	}
	// Plain Huffman: merge the two lightest nodes until one is left.
	slices.Sort(leaves[:n])
	var merged [maxHuffSymbols]uint64 // weights of nodes n, n+1, …
	var parent [2 * maxHuffSymbols]int16
	li, mi, mn := 0, 0, 0
	lightest := func() (int, uint64) {
		if li < n && (mi == mn || leaves[li]>>16 <= merged[mi]) {
			li++
			return int(leaves[li-1] & 0xffff), leaves[li-1] >> 16
		}
		mi++
		return n + mi - 1, merged[mi-1]
	}
	for ; mn < n-1; mn++ {
		a, wa := lightest()
		b, wb := lightest()
		parent[a], parent[b] = int16(n+mn), int16(n+mn)
		merged[mn] = wa + wb
	}
	root := 2*n - 2
	var depth [2 * maxHuffSymbols]int
	var count [16]int
	for i := root - 1; i >= 0; i-- {
		depth[i] = depth[parent[i]] + 1
		if i < n {
			count[min(depth[i], maxLen)]++
		}
	}
	// Kraft sum in units of 2^-maxLen; clipping can only raise it.
	total := 0
	for l := 1; l <= maxLen; l++ {
		total += count[l] << (maxLen - l)
	}
	for ; total > 1<<maxLen; total-- {
		count[maxLen]--
		for l := maxLen - 1; l > 0; l-- {
			if count[l] > 0 {
				count[l]--
				count[l+1] += 2
				break
			}
		}
	}
	// The most frequent symbols get the shortest codes, ties to the
	// lower symbol.
	byFreq := leaves[:n]
	for i := range byFreq {
		byFreq[i] = (1<<40-1-uint64(freq[sym[i]]))<<16 | uint64(sym[i])
	}
	slices.Sort(byFreq)
	i := 0
	for l := 1; l <= maxLen; l++ {
		for range count[l] {
			lens[byFreq[i]&0xffff] = uint8(l)
			i++
		}
	}
}
