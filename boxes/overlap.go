package boxes

// Ranked is a box with a specificity rank: a lower rank is more specific.
type Ranked struct {
	Box  Box
	Rank int
}

// ResolveOverlaps returns, for each item, whether it survives: an item is
// dropped when an item of strictly lower rank (more specific) overlaps it
// with IoU ≥ threshold. Every comparison uses the input set, so the result
// does not depend on order. A threshold ≤ 0 keeps everything.
func ResolveOverlaps(items []Ranked, threshold float64) []bool {
	keep := make([]bool, len(items))
	for i := range keep {
		keep[i] = true
	}
	if threshold <= 0 {
		return keep
	}
	for i, a := range items {
		for _, b := range items {
			if b.Rank < a.Rank && IoU(a.Box, b.Box) >= threshold {
				keep[i] = false
				break
			}
		}
	}
	return keep
}
