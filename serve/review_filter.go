package serve

import (
	"fmt"
	"net/url"
	"slices"

	"github.com/cxrkit/cxrkit/labelmap"
)

// facet is one way to filter the review list. value returns the entry's
// values for it (several for multi-valued facets such as flags).
type facet struct {
	name   string
	title  string
	values func(rv *Review) []string
	has    func(e *reviewEntry, v int) bool
}

// facets is the fixed list of filters, in the order the page shows them.
var facets = []facet{
	{name: "type", title: "Case type",
		values: func(rv *Review) []string { return rv.caseTypes },
		has:    func(e *reviewEntry, v int) bool { return int(e.caseType) == v }},
	{name: "verdict", title: "Verdict",
		values: func(*Review) []string { return verdictNames },
		has:    func(e *reviewEntry, v int) bool { return int(e.verdict) == v }},
	{name: "flag", title: "Flag",
		values: func(*Review) []string { return flagNames },
		has:    func(e *reviewEntry, v int) bool { return e.flags&(1<<v) != 0 }},
	{name: "expected", title: "Expected audit",
		values: func(*Review) []string { return expectationNames },
		has:    func(e *reviewEntry, v int) bool { return int(e.expected) == v }},
	{name: "outcome", title: "Errors",
		values: func(*Review) []string { return outcomeNames },
		has:    func(e *reviewEntry, v int) bool { return e.failed == (v == 1) }},
	{name: "label", title: "Label",
		values: func(*Review) []string { return labelNames() },
		has:    func(e *reviewEntry, v int) bool { return e.labels&(1<<v) != 0 }},
}

func labelNames() []string {
	var out []string
	for _, l := range labelmap.All() {
		out = append(out, string(l))
	}
	return out
}

// reviewFilter holds, per facet, the chosen value's index or -1 (any).
type reviewFilter []int

// parseFilter reads the facet query parameters; an unknown value is the
// client's mistake.
func (rv *Review) parseFilter(q url.Values) (reviewFilter, error) {
	f := make(reviewFilter, len(facets))
	for i, fc := range facets {
		f[i] = -1
		v := q.Get(fc.name)
		if v == "" {
			continue
		}
		f[i] = slices.Index(fc.values(rv), v)
		if f[i] < 0 {
			return nil, fmt.Errorf("unknown %s %q", fc.name, v)
		}
	}
	return f, nil
}

// misses returns how many facets e fails and the last one it fails.
func (f reviewFilter) misses(e *reviewEntry) (n, which int) {
	for i, v := range f {
		if v >= 0 && !facets[i].has(e, v) {
			n, which = n+1, i
		}
	}
	return n, which
}

// facetCount is one filter value and the number of cases it would show.
type facetCount struct {
	Value string `json:"value"`
	Count int    `json:"count"`
}

// facetCounts is one filter with its values' counts.
type facetCounts struct {
	Name   string       `json:"name"`
	Title  string       `json:"title"`
	Values []facetCount `json:"values"`
}

// query returns the indexes of matching entries between offset and
// offset+limit, how many match, and per facet how many would match with
// that facet set to each value and the other filters unchanged.
func (rv *Review) query(f reviewFilter, offset, limit int) (page []int, total int, counts []facetCounts) {
	counts = make([]facetCounts, len(facets))
	for i, fc := range facets {
		counts[i] = facetCounts{Name: fc.name, Title: fc.title}
		for _, v := range fc.values(rv) {
			counts[i].Values = append(counts[i].Values, facetCount{Value: v})
		}
	}
	tally := func(fi int, e *reviewEntry) {
		for v := range counts[fi].Values {
			if facets[fi].has(e, v) {
				counts[fi].Values[v].Count++
			}
		}
	}
	for i := range rv.entries {
		e := &rv.entries[i]
		switch n, which := f.misses(e); n {
		case 0:
			if total >= offset && len(page) < limit {
				page = append(page, i)
			}
			total++
			for fi := range facets {
				tally(fi, e)
			}
		case 1:
			tally(which, e)
		}
	}
	return page, total, counts
}

// neighbours returns the matching entries before and after i (-1: none)
// and i's 0-based position among the matches (-1 when i does not match).
func (rv *Review) neighbours(f reviewFilter, i int) (prev, next, pos int) {
	prev, next, pos = -1, -1, -1
	n := 0
	for j := range rv.entries {
		if m, _ := f.misses(&rv.entries[j]); m != 0 {
			continue
		}
		switch {
		case j < i:
			prev = j
		case j == i:
			pos = n
		case next < 0:
			next = j
			return prev, next, pos
		}
		n++
	}
	return prev, next, pos
}
