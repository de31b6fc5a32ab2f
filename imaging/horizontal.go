package imaging

// horizontalTaps is padTaps for the horizontal pass: the same weights,
// plus the vector kernel's tables where there is a kernel, built once
// per size (gray8Resizer keeps them for the next image).
func horizontalTaps(f fixedWeights, size int) paddedWeights {
	p := padTaps(f, size)
	p.blocks = newHorizontalBlocks(&p, size)
	return p
}

// applyGo is the horizontal pass of one row into 8.8 fixed point, two
// outputs to a word of out (the high half of the last word is 0 when
// the outputs are odd in number), from word from on. It is the whole
// pass where there is no vector kernel (apply) and the words after the
// kernel's blocks where there is one.
func (p *paddedWeights) applyGo(row []byte, out []uint64, from int) {
	m, n := len(p.start), p.n
	pairs := m / 2
	out = out[:(m+1)/2]
	if n == 3 {
		t3 := p.t3[from:pairs]
		out := out[from:pairs]
		for i := range t3 {
			a, b := &t3[i][0], &t3[i][1]
			pa, pb := row[a.s:a.s+3:a.s+3], row[b.s:b.s+3:b.s+3]
			lo := uint32(pa[0])*uint32(a.w[0]) + uint32(pa[1])*uint32(a.w[1]) + uint32(pa[2])*uint32(a.w[2])
			hi := uint32(pb[0])*uint32(b.w[0]) + uint32(pb[1])*uint32(b.w[1]) + uint32(pb[2])*uint32(b.w[2])
			out[i] = uint64((lo+1<<5)>>6) | uint64((hi+1<<5)>>6)<<32 // 8.14 -> 8.8
		}
	} else {
		for i := from; i < pairs; i++ {
			out[i] = uint64(p.taps(row, 2*i)) | uint64(p.taps(row, 2*i+1))<<32
		}
	}
	if m%2 == 1 {
		out[pairs] = uint64(p.taps(row, m-1))
	}
}

// applyPairGo is applyGo on rows a and b at once, into outA and outB,
// with pair as scratch of len(a) words: a pixel of a and the one of b
// below it share a word (a's in the low 32 bits), so one multiplication
// by a tap weight does both rows; each half stays below 1<<23, so no
// carry crosses.
func (p *paddedWeights) applyPairGo(a, b []byte, outA, outB []uint64, pair []uint64) {
	if p.n != 3 {
		p.applyGo(a, outA, 0)
		p.applyGo(b, outB, 0)
		return
	}
	b = b[:len(a)]
	pair = pair[:len(a)]
	for x, v := range a {
		pair[x] = uint64(v) | uint64(b[x])<<32
	}
	const (
		round = 1<<5 | 1<<(32+5)    // 8.14 -> 8.8 in both halves
		mask  = 0xffff | 0xffff<<32 // the 8.8 value of each half
		low   = 0xffffffff          // the low half
	)
	t3 := p.t3[:len(outA)]
	outB = outB[:len(outA)]
	for i := range t3 {
		t, u := &t3[i][0], &t3[i][1]
		pt, pu := pair[t.s:t.s+3:t.s+3], pair[u.s:u.s+3:u.s+3]
		x0 := (pt[0]*t.w[0] + pt[1]*t.w[1] + pt[2]*t.w[2] + round) >> 6 & mask
		x1 := (pu[0]*u.w[0] + pu[1]*u.w[1] + pu[2]*u.w[2] + round) >> 6 & mask
		outA[i] = x0&low | x1<<32
		outB[i] = x0>>32 | x1&^low
	}
}

// taps is horizontal output x in 8.8 fixed point.
func (p *paddedWeights) taps(row []byte, x int) uint32 {
	n, s := p.n, p.start[x]
	w, px := p.w[n*x:n*x+n], row[s:s+n]
	var acc uint32
	for k, wt := range w {
		acc += uint32(px[k]) * uint32(wt)
	}
	return (acc + 1<<5) >> 6 // 8.14 -> 8.8
}
