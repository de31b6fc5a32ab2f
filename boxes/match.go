package boxes

import (
	"cmp"
	"slices"
)

// Pair is one matched (predicted, gold) pair.
type Pair struct {
	Pred, Gold int
	IoU        float64
}

// Match pairs predicted and gold boxes one-to-one: every pair with IoU ≥
// threshold is a candidate, candidates are taken greedily by descending IoU
// (ties: lower predicted index, then lower gold index), each box used at
// most once. Pairs come back in the order they were taken.
func Match(pred, gold []Box, threshold float64) []Pair {
	var cands []Pair
	for i, p := range pred {
		for j, g := range gold {
			if iou := IoU(p, g); iou >= threshold && iou > 0 {
				cands = append(cands, Pair{i, j, iou})
			}
		}
	}
	slices.SortFunc(cands, func(a, b Pair) int {
		if c := cmp.Compare(b.IoU, a.IoU); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Pred, b.Pred); c != 0 {
			return c
		}
		return cmp.Compare(a.Gold, b.Gold)
	})
	usedP := make([]bool, len(pred))
	usedG := make([]bool, len(gold))
	var out []Pair
	for _, c := range cands {
		if usedP[c.Pred] || usedG[c.Gold] {
			continue
		}
		usedP[c.Pred], usedG[c.Gold] = true, true
		out = append(out, c)
	}
	return out
}
