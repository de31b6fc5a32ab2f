package imaging

// verticalRowGo is the vertical pass in plain Go, for out[2*from:]: it
// combines len(w) rows of the horizontal pass into one output row, 8.8
// fixed point times 2.14 weights, rounded to 8 bits, two outputs per
// multiplication. Weights summing to 1<<14 keep each half below 1<<31,
// so no carry crosses from one output to the other. It is the whole pass
// where there is no vector kernel (verticalRow) and the tail after the
// kernel's blocks where there is one.
func verticalRowGo(out []uint8, rows [][]uint64, w []uint16, from int) {
	const half = 1<<21 | 1<<(32+21) // 8.22 -> 8, in both halves
	pairs := len(out) / 2
	if len(w) == 3 {
		a, b, c := rows[0][from:pairs], rows[1][from:pairs], rows[2][from:pairs]
		wa, wb, wc := uint64(w[0]), uint64(w[1]), uint64(w[2])
		out := out[2*from : 2*pairs]
		for i := range a {
			v := a[i]*wa + b[i]*wb + c[i]*wc + half
			out[2*i], out[2*i+1] = uint8(v>>22), uint8(v>>(32+22))
		}
	} else {
		for i := from; i < pairs; i++ {
			v := uint64(half)
			for k, wt := range w {
				v += rows[k][i] * uint64(wt)
			}
			out[2*i], out[2*i+1] = uint8(v>>22), uint8(v>>(32+22))
		}
	}
	if len(out)%2 == 1 {
		v := uint64(half)
		for k, wt := range w {
			v += rows[k][pairs] * uint64(wt)
		}
		out[len(out)-1] = uint8(v >> 22)
	}
}
