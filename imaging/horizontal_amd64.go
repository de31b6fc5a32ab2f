//go:build !purego

package imaging

import "math"

// horizontalBlocks are the AVX2 kernel's tables for the leading blocks
// of 8 outputs (4 words of the pass) whose taps all lie in the 16 source
// bytes from base[b], the block's first start: true of every block but
// the last one or two for shrinks up to ~1.6x with 3 taps. tab holds 128
// bytes per block: two VPSHUFB masks that make, per output, the 16-bit
// pairs (px[s], px[s+1]) and (px[s+2], px[s+3]) (zero for a tap the
// output lacks), then the weights as matching 16-bit pairs for
// VPMADDWD. Output j of a block is 32-bit lane j, lanes 0-3 in the low
// 128 bits and 4-7 in the high, so the 8 lanes stored in order are the
// block's 4 words. need is the row length the blocks read up to.
type horizontalBlocks struct {
	base []uint32
	tab  []byte
	need int
}

// newHorizontalBlocks builds p's kernel tables for rows of size bytes,
// or none without AVX2 or for more than 4 taps. The first block the
// kernel cannot take (see horizontalBlock) and all after it are left to
// the Go code.
func newHorizontalBlocks(p *paddedWeights, size int) horizontalBlocks {
	var h horizontalBlocks
	if !useAVX2 || p.n < 1 || p.n > 4 {
		return h
	}
	for first := 0; first+8 <= len(p.start); first += 8 {
		rec, ok := horizontalBlock(p, first, size)
		if !ok {
			break
		}
		base := p.start[first]
		h.base = append(h.base, uint32(base))
		h.tab = append(h.tab, rec[:]...)
		h.need = max(h.need, base+16)
	}
	return h
}

// horizontalBlock is the table record of the 8 outputs from first, or
// false if the kernel cannot take them: their taps span more than the 16
// bytes from the first output's start, that 16-byte load would pass the
// row's end, or a weight would not fit VPMADDWD's signed 16 bits
// (fixedTaps' never exceed 1<<14).
func horizontalBlock(p *paddedWeights, first, size int) (rec [128]byte, ok bool) {
	n, base := p.n, p.start[first]
	if base+16 > size || base > math.MaxUint32 {
		return rec, false
	}
	for j := range 8 {
		i := first + j
		if s := p.start[i]; s < base || s+n > base+16 {
			return rec, false
		}
		lane := 16*(j/4) + 4*(j%4) // output j's 32-bit lane, in bytes
		for k := range 4 {
			// Tap k goes in 16-bit half k%2 of the lane, of the first
			// (k < 2) or second pixel vector; a missing tap reads zero.
			at := lane + 32*(k/2) + 2*(k%2)
			rec[at], rec[at+1] = 0x80, 0x80
			if k >= n {
				continue
			}
			w := p.w[i*n+k]
			if w > math.MaxInt16 {
				return rec, false
			}
			rec[at] = byte(p.start[i] - base + k)
			rec[64+at], rec[64+at+1] = byte(w), byte(w>>8)
		}
	}
	return rec, true
}

// apply is the horizontal pass of one row (see applyGo for the
// arithmetic): the AVX2 kernel does p's blocks and applyGo the words
// after them, with the same results to the bit. The pass was ~9% of the
// audit client's CPU on its scaled path (#16).
func (p *paddedWeights) apply(row []byte, out []uint64) {
	from := 0
	if nb := len(p.blocks.base); nb > 0 { // only built with AVX2
		// The kernel reads and writes unchecked: check here, once per
		// row, by index: a reslice checks only the capacity, and a ring
		// slot's capacity runs on past its length.
		_, _ = row[p.blocks.need-1], out[4*nb-1]
		horizontalAVX2(out[:4*nb], row, p.blocks.base, p.blocks.tab[:128*nb])
		from = 4 * nb
	}
	p.applyGo(row, out, from)
}

// applyPair is apply on rows a and b, into outA and outB. With the
// kernel each row goes on its own (8 outputs per block beat
// applyPairGo's two rows at a time); without it applyPairGo takes pair
// as scratch of len(a) words.
func (p *paddedWeights) applyPair(a, b []byte, outA, outB []uint64, pair []uint64) {
	if len(p.blocks.base) > 0 {
		p.apply(a, outA)
		p.apply(b, outB)
		return
	}
	p.applyPairGo(a, b, outA, outB, pair)
}

// horizontalAVX2 is applyGo for len(base) blocks of 8 outputs, into the
// 4*len(base) words of out: block k loads the 16 bytes of row from
// base[k] into both 128-bit halves, shuffles them with tab's masks into
// two vectors of 16-bit pixel pairs, VPMADDWDs them with the weight
// pairs and adds them: a pixel is at most 255 and a weight at most
// 32767, so each 32-bit lane is the exact sum, then rounded as applyGo
// does, (acc+32)>>6. It checks neither row (base[k]+16 <= len(row)) nor
// out nor tab (128 bytes a block).
//
//go:noescape
func horizontalAVX2(out []uint64, row []byte, base []uint32, tab []byte)
