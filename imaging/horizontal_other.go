//go:build !amd64 || purego

package imaging

// horizontalBlocks would hold a vector kernel's tables: there is none
// for this architecture (or -tags purego asks for none).
type horizontalBlocks struct{}

func newHorizontalBlocks(*paddedWeights, int) horizontalBlocks { return horizontalBlocks{} }

// apply is the horizontal pass of one row: applyGo, there being no
// vector kernel.
func (p *paddedWeights) apply(row []byte, out []uint64) { p.applyGo(row, out, 0) }

// applyPair is apply on rows a and b at once: applyPairGo, with pair as
// scratch of len(a) words.
func (p *paddedWeights) applyPair(a, b []byte, outA, outB []uint64, pair []uint64) {
	p.applyPairGo(a, b, outA, outB, pair)
}
