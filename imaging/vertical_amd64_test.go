//go:build !purego

package imaging

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// TestVerticalRowAVX2 calls the kernel itself, so that a verticalRow
// that never reached it could not pass for it: whole blocks, 0 to 9
// taps, against the reference.
func TestVerticalRowAVX2(t *testing.T) {
	requireAVX2(t)
	rng := rand.New(rand.NewPCG(3, 4))
	for blocks := range 6 {
		n := 32 * blocks
		for taps := range 10 {
			for range 8 {
				rows, w := randomRows(rng, taps, n), randomWeights(rng, taps)
				out := make([]uint8, n)
				verticalRowAVX2(out, rows, w)
				if want := verticalRef(n, rows, w); !bytes.Equal(out, want) {
					t.Fatalf("%d taps %v, %d outputs:\n got %v\nwant %v", taps, w, n, out, want)
				}
			}
		}
	}
}
