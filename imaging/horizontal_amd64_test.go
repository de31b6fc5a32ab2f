//go:build !purego

package imaging

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestHorizontalAVX2 calls the kernel itself on its blocks, so that an
// apply that never reached it could not pass for it, and checks that the
// audit client's 1024 -> 896 gives it all but the last blocks of a row
// and that more than 4 taps give it none.
func TestHorizontalAVX2(t *testing.T) {
	requireAVX2(t)
	rng := rand.New(rand.NewPCG(7, 8))
	for _, sz := range horizontalSizes {
		sw, dw := sz[0], sz[1]
		p := horizontalTaps(fixedTaps(weights(sw, dw)), sw)
		nb := len(p.blocks.base)
		if len(p.blocks.tab) != 128*nb || p.blocks.need > sw {
			t.Fatalf("%d -> %d: %d blocks, %d bytes of tables, reads %d bytes of %d", sw, dw, nb, len(p.blocks.tab), p.blocks.need, sw)
		}
		switch {
		case sw == 1024 && dw == 896 && nb < 110:
			t.Fatalf("1024 -> 896: only %d of 112 blocks in the kernel", nb)
		case p.n > 4 && nb > 0:
			t.Fatalf("%d -> %d: %d taps but %d blocks", sw, dw, p.n, nb)
		}
		for range 8 {
			row := randomRow(rng, sw)
			out := make([]uint64, 4*nb)
			horizontalAVX2(out, row, p.blocks.base, p.blocks.tab)
			if want := horizontalRef(&p, row)[:4*nb]; !slices.Equal(out, want) {
				t.Fatalf("%d -> %d, %d blocks:\n got %x\nwant %x", sw, dw, nb, out, want)
			}
		}
	}
}
