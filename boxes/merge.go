package boxes

import (
	"fmt"
	"slices"
)

// Reading is one reader's box.
type Reading struct {
	Box    Box
	Reader string
}

// Fused is one merged box: the mean of its member readings.
type Fused struct {
	Box Box
	// Readers is the number of distinct readers among the members.
	Readers int
	// Members are indexes into the input readings, ascending.
	Members []int
}

// Method selects how readings of one label are merged.
type Method string

// Merge methods.
const (
	WBF  Method = "wbf"  // Weighted Boxes Fusion, one model, all scores 1
	Mean Method = "mean" // connected components at IoU ≥ threshold
	None Method = "none" // every reading stays its own box
)

// ParseMethod validates a --merge value.
func ParseMethod(s string) (Method, error) {
	switch m := Method(s); m {
	case WBF, Mean, None:
		return m, nil
	}
	return "", fmt.Errorf("unknown merge method %q (want wbf, mean or none)", s)
}

// Merge merges readings with the given method and IoU threshold.
func Merge(m Method, readings []Reading, threshold float64) []Fused {
	switch m {
	case Mean:
		return MergeMean(readings, threshold)
	case None:
		out := make([]Fused, len(readings))
		for i, r := range readings {
			out[i] = Fused{Box: r.Box, Readers: 1, Members: []int{i}}
		}
		return out
	}
	return MergeWBF(readings, threshold)
}

// MergeWBF reproduces ensemble_boxes.weighted_boxes_fusion run with all
// readings as one model, every score 1.0, skip_box_thr 0 and a stable
// visiting order: readings are visited in input order; each joins the
// cluster whose current fused box overlaps it most if that IoU is strictly
// greater than threshold (first cluster on ties), else starts a cluster. A
// cluster's fused box is the mean of its members. Zero-area readings are
// skipped, as the package does.
func MergeWBF(readings []Reading, threshold float64) []Fused {
	type cluster struct {
		sum     [4]float64
		fused   Box
		members []int
	}
	var cs []*cluster
	for i, r := range readings {
		if r.Box.Area() == 0 {
			continue
		}
		best, bestIoU := -1, threshold
		for k, c := range cs {
			if iou := IoU(c.fused, r.Box); iou > bestIoU {
				best, bestIoU = k, iou
			}
		}
		if best < 0 {
			cs = append(cs, &cluster{sum: r.Box.Array(), fused: r.Box, members: []int{i}})
			continue
		}
		c := cs[best]
		a := r.Box.Array()
		for j := range c.sum {
			c.sum[j] += a[j]
		}
		c.members = append(c.members, i)
		n := float64(len(c.members))
		c.fused = Box{c.sum[0] / n, c.sum[1] / n, c.sum[2] / n, c.sum[3] / n}
	}
	out := make([]Fused, len(cs))
	for k, c := range cs {
		out[k] = Fused{Box: c.fused, Members: c.members, Readers: distinctReaders(readings, c.members)}
	}
	return out
}

// MergeMean is the reference project's rule: link every pair of readings
// with IoU ≥ threshold and replace each connected component by its mean
// box. Components come back ordered by their first member.
func MergeMean(readings []Reading, threshold float64) []Fused {
	parent := make([]int, len(readings))
	for i := range parent {
		parent[i] = i
	}
	find := func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	for i := range readings {
		for j := i + 1; j < len(readings); j++ {
			if IoU(readings[i].Box, readings[j].Box) >= threshold {
				ri, rj := find(i), find(j)
				if ri != rj {
					parent[max(ri, rj)] = min(ri, rj)
				}
			}
		}
	}
	groups := map[int][]int{}
	var roots []int
	for i := range readings {
		r := find(i)
		if _, ok := groups[r]; !ok {
			roots = append(roots, r)
		}
		groups[r] = append(groups[r], i)
	}
	out := make([]Fused, 0, len(roots))
	for _, r := range roots {
		members := groups[r]
		var sum [4]float64
		for _, m := range members {
			a := readings[m].Box.Array()
			for j := range sum {
				sum[j] += a[j]
			}
		}
		n := float64(len(members))
		out = append(out, Fused{
			Box:     Box{sum[0] / n, sum[1] / n, sum[2] / n, sum[3] / n},
			Members: members,
			Readers: distinctReaders(readings, members),
		})
	}
	return out
}

func distinctReaders(readings []Reading, members []int) int {
	ids := make([]string, len(members))
	for i, m := range members {
		ids[i] = readings[m].Reader
	}
	slices.Sort(ids)
	return len(slices.Compact(ids))
}
