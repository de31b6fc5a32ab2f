//go:build !purego

package imaging

// verticalRow is the vertical pass of the resizer (see verticalRowGo for
// the arithmetic): the AVX2 kernel does every whole block of 32 outputs
// and verticalRowGo the rest, with the same results to the bit. The
// pass was ~9.5% of the audit client's CPU on its scaled path (#16).
func verticalRow(out []uint8, rows [][]uint64, w []uint16) {
	n := 0
	if useAVX2 {
		n = len(out) &^ 31
	}
	if n > 0 {
		// The kernel reads len(w) rows of n/2 words unchecked: check
		// here, once per row, by index (a reslice checks only the
		// capacity, and a ring slot's runs on past its length).
		if len(w) > 0 {
			_ = rows[len(w)-1]
		}
		for _, r := range rows[:len(w)] {
			_ = r[n/2-1]
		}
		verticalRowAVX2(out[:n], rows, w)
	}
	verticalRowGo(out, rows, w, n/2)
}

// verticalRowAVX2 is verticalRowGo for len(out)/32 blocks of 32 outputs,
// in out[:len(out)&^31]; rows must hold len(w) rows of at least
// len(out)/2 words each, which it does not check. Each word is read as
// two 32-bit lanes, one output each, multiplied by the weight with
// VPMULLD: a product is below 1<<30 and a sum with the rounding below
// 1<<31, so the lanes are exact and the high 8.8 half never sees the low
// one's carry, as in verticalRowGo.
//
//go:noescape
func verticalRowAVX2(out []uint8, rows [][]uint64, w []uint16)
