package dataset

import (
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/cxrkit/cxrkit"
)

// rank is a deterministic pseudo-random key for ordering: the same on any
// machine for the same seed and parts.
func rank(seed int64, parts ...string) uint64 {
	// The bytes hashed are the seed in decimal, then a zero byte before
	// each part; built on the stack for the usual short ids.
	var stack [128]byte
	b := strconv.AppendInt(stack[:0], seed, 10)
	for _, p := range parts {
		b = append(b, 0)
		b = append(b, p...)
	}
	sum := sha256.Sum256(b)
	return binary.BigEndian.Uint64(sum[:])
}

// splitItem is one image as the splitter sees it (its key, source:image_id,
// is given beside it).
type splitItem struct {
	stratum string // the image's label set
	group   string // patient key; empty when unknown
	holdout bool
}

// unionFind groups images that must share a split.
type unionFind []int

func newUnionFind(n int) unionFind {
	u := make(unionFind, n)
	for i := range u {
		u[i] = i
	}
	return u
}

func (u unionFind) find(i int) int {
	for u[i] != i {
		u[i] = u[u[i]]
		i = u[i]
	}
	return i
}

func (u unionFind) union(a, b int) {
	ra, rb := u.find(a), u.find(b)
	if ra != rb {
		u[max(ra, rb)] = min(ra, rb)
	}
}

// assignSplits splits items deterministically: images of one patient and
// detected duplicates form a group that stays in one split; groups holding
// a holdout image go to test; the other groups are ordered by stratum (the
// group's label set) and, within it, by a seeded hash, and each is given
// to the split furthest below its target share of the images seen so far —
// stratified systematic sampling, so every label set is spread across
// splits in proportion and the overall fractions are met.
//
// keys[i] is item i's key.
func assignSplits(items []splitItem, keys []string, dups [][2]int, val, test float64, seed int64) []splitNum {
	u := newUnionFind(len(items))
	var byGroup map[string]int
	for i, it := range items {
		if it.group == "" {
			continue
		}
		if byGroup == nil {
			byGroup = map[string]int{}
		}
		if j, ok := byGroup[it.group]; ok {
			u.union(i, j)
		} else {
			byGroup[it.group] = i
		}
	}
	for _, d := range dups {
		u.union(d[0], d[1])
	}
	// Groups by root, in a slice rather than a map: the list is sorted
	// below by a total order, so the order groups are found in is moot.
	// Their members (ascending) are one slice cut by counting: nearly
	// every group is a single image. After the loop u[i] is i's root, and
	// then i's group.
	for i := range u {
		u[i] = u.find(i)
	}
	groups := make([]splitGroup, 0, len(items))
	for i, r := range u {
		// A root is its component's least index, so its group is made
		// before any other member's turn.
		if r == i {
			u[i] = len(groups)
			groups = append(groups, splitGroup{key: int32(i)})
		} else {
			u[i] = u[r]
		}
		g := &groups[u[i]]
		g.n++
		if keys[i] < keys[g.key] {
			g.key = int32(i)
		}
		g.holdout = g.holdout || items[i].holdout
	}
	members := make([]int32, len(items))
	start := int32(0)
	for k := range groups {
		groups[k].first = start
		start += groups[k].n
		groups[k].n = 0
	}
	for i, k := range u {
		g := &groups[k]
		members[g.first+g.n] = int32(i)
		g.n++
	}
	// The strata are few: each is ranked once, and groups are compared
	// by rank.
	strata := map[string]int32{}
	sorted := map[string]string{} // one image's stratum, its labels sorted
	var names []string
	for k := range groups {
		g := &groups[k]
		st := groupStratum(items, members[g.first:g.first+g.n], sorted)
		r, ok := strata[st]
		if !ok {
			r = int32(len(names))
			strata[st] = r
			names = append(names, st)
		}
		g.stratum = r
		g.order = rank(seed, "split", keys[g.key])
	}
	byName := make([]int32, len(names))
	for i := range byName {
		byName[i] = int32(i)
	}
	slices.SortFunc(byName, func(a, b int32) int { return cmp.Compare(names[a], names[b]) })
	stratumRank := make([]int32, len(names))
	for r, i := range byName {
		stratumRank[i] = int32(r)
	}
	for k := range groups {
		groups[k].stratum = stratumRank[groups[k].stratum]
	}
	slices.SortFunc(groups, func(a, b splitGroup) int {
		if c := cmp.Compare(a.stratum, b.stratum); c != 0 {
			return c
		}
		if c := cmp.Compare(a.order, b.order); c != 0 {
			return c
		}
		return cmp.Compare(keys[a.key], keys[b.key])
	})
	out := make([]splitNum, len(items))
	fracs := [3]float64{1 - val - test, val, test}
	var assigned [3]float64
	seen := 0.0
	for _, g := range groups {
		n := float64(g.n)
		s := 2
		if !g.holdout {
			seen += n
			best := -1e300
			for k := range fracs {
				if fracs[k] <= 0 {
					continue
				}
				if d := fracs[k]*seen - assigned[k]; d > best+1e-12 {
					best, s = d, k
				}
			}
			assigned[s] += n
		}
		for _, m := range members[g.first : g.first+g.n] {
			out[m] = splitNum(s)
		}
	}
	return out
}

// splitNum is a split by its number, one byte where a cxrkit.Split is a
// string header: train, validation, test as assignSplits' fractions.
type splitNum uint8

const (
	splitTrain splitNum = iota
	splitValidation
	splitTest
)

// split is the split numbered s.
func (s splitNum) split() cxrkit.Split {
	switch s {
	case splitValidation:
		return cxrkit.SplitValidation
	case splitTest:
		return cxrkit.SplitTest
	}
	return cxrkit.SplitTrain
}

func (s splitNum) String() string { return string(s.split()) }

// splitGroup is a group of images that share a split: its members are
// members[first:first+n], key is the member with the least key, stratum
// the rank of its label set among the groups'.
type splitGroup struct {
	order    uint64
	key      int32
	first, n int32
	stratum  int32
	holdout  bool
}

// sampleNormals picks round(ratio × positives) of the normal images
// deterministically; ratio < 0 keeps them all. It returns the keep flags.
// groupStratum is the label set of a group's images: their labels, sorted
// and deduplicated, without no_finding when there is any other. The usual
// group, one image or images of one label, keeps its stratum as it is.
//
// sorted remembers the answer for a group of one image by its stratum.
func groupStratum(items []splitItem, members []int32, sorted map[string]string) string {
	first := items[members[0]].stratum
	same := !strings.Contains(first, "+")
	for _, m := range members[1:] {
		same = same && items[m].stratum == first
	}
	if same {
		return first
	}
	if len(members) == 1 {
		if s, ok := sorted[first]; ok {
			return s
		}
		s := groupLabels(items, members)
		sorted[first] = s
		return s
	}
	return groupLabels(items, members)
}

// groupLabels is groupStratum's label set of a mixed group.
func groupLabels(items []splitItem, members []int32) string {
	labels := map[string]bool{}
	for _, m := range members {
		for _, l := range strings.Split(items[m].stratum, "+") {
			labels[l] = true
		}
	}
	if len(labels) > 1 {
		delete(labels, "no_finding")
	}
	return strings.Join(slices.Sorted(maps.Keys(labels)), "+")
}

func sampleNormals(keys []string, positives int, ratio NormalRatio, seed int64) []bool {
	keep := make([]bool, len(keys))
	if ratio < 0 {
		for i := range keep {
			keep[i] = true
		}
		return keep
	}
	k := int(roundHalfAway(float64(ratio) * float64(positives)))
	order := make([]int, len(keys))
	for i := range order {
		order[i] = i
	}
	ranks := make([]uint64, len(keys))
	for i, key := range keys {
		ranks[i] = rank(seed, "balance", key)
	}
	slices.SortFunc(order, func(a, b int) int {
		if c := cmp.Compare(ranks[a], ranks[b]); c != 0 {
			return c
		}
		return cmp.Compare(keys[a], keys[b])
	})
	for _, i := range order[:min(k, len(order))] {
		keep[i] = true
	}
	return keep
}

func roundHalfAway(v float64) float64 {
	if v < 0 {
		return -roundHalfAway(-v)
	}
	return float64(int64(v + 0.5))
}
