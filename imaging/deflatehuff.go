package imaging

import (
	"container/heap"
	"encoding/binary"
	"hash/adler32"
	"math/bits"
	"slices"
)

// huffBlockSize is how many bytes each Huffman-only block codes with its
// own code: a radiograph's statistics change from region to region.
const huffBlockSize = 64 << 10

// appendZlibHuffman appends data as a zlib stream of dynamic-Huffman
// deflate blocks of literals only (what compress/flate's HuffmanOnly
// writes, without its per-symbol token buffer and generic block
// writer): per block a histogram, a code limited to 15 bits, a header
// without run-length codes, and the literals through a 64-bit bit
// buffer.
func appendZlibHuffman(dst, data []byte) []byte {
	sum := adler32.Checksum(data)
	dst = append(dst, 0x78, 0x01) // deflate, 32 KiB window, no dictionary, fastest
	w := bitWriter{b: dst}
	var lens [257]uint8
	var codes [257]uint16
	var table [256]uint32 // a literal's code, and its length in bits 16 and up
	for first := true; first || len(data) > 0; first = false {
		block := data[:min(len(data), huffBlockSize)]
		data = data[len(block):]
		freq := histogram(block)
		freq[256] = 1 // end of block
		huffmanLengths(freq[:], lens[:], 15)
		canonicalCodes(lens[:], codes[:])
		final := uint64(0)
		if len(data) == 0 {
			final = 1
		}
		w.write(final|2<<1, 3) // BFINAL, BTYPE=10 (dynamic)
		writeLiteralHeader(&w, lens[:])
		for c := range table {
			table[c] = uint32(codes[c]) | uint32(lens[c])<<16
		}
		w.literals(block, &table)
		w.write(uint64(codes[256]), uint(lens[256]))
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

// literals writes each byte of block with its code from table. Three
// codes (45 bits at most, plus 7 pending) fit the accumulator, which is
// then stored whole and advanced by the bytes it completed: no branch per
// symbol, no append per word.
func (w *bitWriter) literals(block []byte, table *[256]uint32) {
	for w.nacc >= 8 { // at most 7 bits pending, as the loop assumes
		w.b = append(w.b, byte(w.acc))
		w.acc >>= 8
		w.nacc -= 8
	}
	pos := len(w.b)
	w.b = slices.Grow(w.b, 2*len(block)+16) // 15 bits a byte at most
	w.b = w.b[:cap(w.b)]
	out := w.b
	acc, n := w.acc, w.nacc
	for len(block) >= 3 && pos+8 <= len(out) {
		e0, e1, e2 := table[block[0]], table[block[1]], table[block[2]]
		acc |= uint64(e0&0xffff) << n
		n += uint(e0 >> 16)
		acc |= uint64(e1&0xffff) << n
		n += uint(e1 >> 16)
		acc |= uint64(e2&0xffff) << n
		n += uint(e2 >> 16)
		binary.LittleEndian.PutUint64(out[pos:], acc)
		k := n >> 3
		pos += int(k)
		acc >>= k * 8
		n &= 7
		block = block[3:]
	}
	w.b, w.acc, w.nacc = out[:pos], acc, n
	for _, c := range block {
		e := table[c]
		w.write(uint64(e&0xffff), uint(e>>16))
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

// writeLiteralHeader writes a dynamic block header for 257 literal/length
// codes and one distance code of length 1 (never used; the form
// compress/flate and zlib write and accept), the code lengths themselves
// coded with a code of at most 7 bits and no run-length symbols.
func writeLiteralHeader(w *bitWriter, lens []uint8) {
	all := append(lens[:257:257], 1) // the one distance code
	var freq [19]int
	for _, l := range all {
		freq[l]++
	}
	var clLens [19]uint8
	var clCodes [19]uint16
	huffmanLengths(freq[:], clLens[:], 7)
	canonicalCodes(clLens[:], clCodes[:])
	nclen := 19
	for nclen > 4 && clLens[codeLengthOrder[nclen-1]] == 0 {
		nclen--
	}
	w.write(0, 5) // HLIT: 257 literal/length codes
	w.write(0, 5) // HDIST: one distance code
	w.write(uint64(nclen-4), 4)
	for _, s := range codeLengthOrder[:nclen] {
		w.write(uint64(clLens[s]), 3)
	}
	for _, l := range all {
		w.write(uint64(clCodes[l]), uint(clLens[l]))
	}
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

// huffmanLengths sets lens to the code lengths of a Huffman code for
// freq (0 for unused symbols), none longer than maxLen: a plain Huffman
// code, then, if it is too deep, lengths moved as zlib's and miniz's
// encoders move them (clip to maxLen, then lengthen the deepest shorter
// codes until the Kraft sum is one again), handed out to symbols in order
// of frequency. A lone symbol gets length 1.
func huffmanLengths(freq []int, lens []uint8, maxLen int) {
	clear(lens)
	var syms []int
	for s, f := range freq {
		if f > 0 {
			syms = append(syms, s)
		}
	}
	switch len(syms) {
	case 0:
		return
	case 1:
		lens[syms[0]] = 1
		return
	}
	// Plain Huffman: merge the two lightest nodes until one is left.
	parent := make([]int, 2*len(syms)-1)
	h := &nodeHeap{}
	for i, s := range syms {
		h.push(huffNode{weight: freq[s], id: i})
	}
	heap.Init(h)
	for next := len(syms); h.Len() > 1; next++ {
		a, b := heap.Pop(h).(huffNode), heap.Pop(h).(huffNode)
		parent[a.id], parent[b.id] = next, next
		heap.Push(h, huffNode{weight: a.weight + b.weight, id: next})
	}
	root := len(parent) - 1
	depth := make([]int, len(parent))
	var count [64]int
	for i := root - 1; i >= 0; i-- {
		depth[i] = depth[parent[i]] + 1
	}
	for i := range syms {
		count[min(depth[i], maxLen)]++
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
	// The most frequent symbols get the shortest codes.
	slices.SortStableFunc(syms, func(a, b int) int { return freq[b] - freq[a] })
	i := 0
	for l := 1; l <= maxLen; l++ {
		for range count[l] {
			lens[syms[i]] = uint8(l)
			i++
		}
	}
}

type huffNode struct{ weight, id int }

// nodeHeap orders nodes by weight, then id, so codes are deterministic.
type nodeHeap []huffNode

func (h nodeHeap) Len() int { return len(h) }
func (h nodeHeap) Less(i, j int) bool {
	return h[i].weight < h[j].weight || h[i].weight == h[j].weight && h[i].id < h[j].id
}
func (h nodeHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *nodeHeap) Push(x any)   { *h = append(*h, x.(huffNode)) }
func (h *nodeHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
func (h *nodeHeap) push(n huffNode) { *h = append(*h, n) }
