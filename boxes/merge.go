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
	return new(Merger).Merge(m, readings, threshold)
}

// MergeWBF reproduces ensemble_boxes.weighted_boxes_fusion run with all
// readings as one model, every score 1.0, skip_box_thr 0 and a stable
// visiting order: readings are visited in input order; each joins the
// cluster whose current fused box overlaps it most if that IoU is strictly
// greater than threshold (first cluster on ties), else starts a cluster. A
// cluster's fused box is the mean of its members. Zero-area readings are
// skipped, as the package does.
func MergeWBF(readings []Reading, threshold float64) []Fused {
	return new(Merger).wbf(readings, threshold)
}

// Merger merges readings as Merge does, reusing its memory from call to
// call: what a call returns, the Fused and their Members, is valid only
// until the Merger's next call. The zero value is ready; a Merger is not
// safe for concurrent use.
type Merger struct {
	clusters []wbfCluster
	// cluster[i] is the cluster of reading i, -1 for a skipped one.
	cluster []int
	members []int
	readers []string
	out     []Fused
}

// wbfCluster is one WBF cluster while readings are visited: the sum of its
// members' coordinates, in visiting order, and its current fused box.
type wbfCluster struct {
	sum   [4]float64
	fused Box
	n     int
}

// Merge merges readings with the given method and IoU threshold, as the
// package's Merge does.
func (g *Merger) Merge(m Method, readings []Reading, threshold float64) []Fused {
	switch m {
	case Mean:
		return MergeMean(readings, threshold)
	case None:
		g.members = slices.Grow(g.members[:0], len(readings))[:len(readings)]
		out := g.fused(len(readings))
		for i, r := range readings {
			g.members[i] = i
			out[i] = Fused{Box: r.Box, Readers: 1, Members: g.members[i : i+1 : i+1]}
		}
		return out
	}
	return g.wbf(readings, threshold)
}

// fused returns g's output slice with n zero entries.
func (g *Merger) fused(n int) []Fused {
	g.out = slices.Grow(g.out[:0], n)[:n]
	clear(g.out)
	return g.out
}

// wbf is MergeWBF in g's memory. Each reading's cluster is noted as it
// joins, and the member lists are cut from one slice at the end, in
// ascending order as each cluster's readings were visited.
func (g *Merger) wbf(readings []Reading, threshold float64) []Fused {
	cs := g.clusters[:0]
	g.cluster = slices.Grow(g.cluster[:0], len(readings))[:len(readings)]
	for i, r := range readings {
		g.cluster[i] = -1
		if r.Box.Area() == 0 {
			continue
		}
		best, bestIoU := -1, threshold
		for k := range cs {
			if iou := IoU(cs[k].fused, r.Box); iou > bestIoU {
				best, bestIoU = k, iou
			}
		}
		if best < 0 {
			g.cluster[i] = len(cs)
			cs = append(cs, wbfCluster{sum: r.Box.Array(), fused: r.Box, n: 1})
			continue
		}
		g.cluster[i] = best
		c := &cs[best]
		a := r.Box.Array()
		for j := range c.sum {
			c.sum[j] += a[j]
		}
		c.n++
		n := float64(c.n)
		c.fused = Box{c.sum[0] / n, c.sum[1] / n, c.sum[2] / n, c.sum[3] / n}
	}
	g.clusters = cs
	out := g.fused(len(cs))
	g.members = slices.Grow(g.members[:0], len(readings))[:0]
	start := 0
	for k, c := range cs {
		out[k].Box = c.fused
		out[k].Members = g.members[start : start : start+c.n]
		start += c.n
	}
	for i, k := range g.cluster {
		if k >= 0 {
			out[k].Members = append(out[k].Members, i)
		}
	}
	for k := range out {
		out[k].Readers = g.distinctReaders(readings, out[k].Members)
	}
	return out
}

// distinctReaders counts the distinct readers of members.
func (g *Merger) distinctReaders(readings []Reading, members []int) int {
	if len(members) == 1 {
		return 1
	}
	ids := g.readers[:0]
	for _, m := range members {
		ids = append(ids, readings[m].Reader)
	}
	slices.Sort(ids)
	g.readers = ids
	return len(slices.Compact(ids))
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
