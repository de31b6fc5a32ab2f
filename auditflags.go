package cxrkit

import "github.com/cxrkit/cxrkit/labelmap"

// SameFlags reports whether a and b raise the same labels in each of the
// three flag lists, compared as sets: order and repeats do not matter, so
// [a, b] and [a, a] differ while [a, b] and [b, a] agree. Review and eval
// both decide agreement with it.
func (a Audit) SameFlags(b Audit) bool {
	return sameLabelSet(a.MissingFindings, b.MissingFindings) &&
		sameLabelSet(a.UnsupportedClaims, b.UnsupportedClaims) &&
		sameLabelSet(a.UrgentReviewFlags, b.UrgentReviewFlags)
}

func sameLabelSet(x, y []labelmap.Label) bool {
	in := func(ls []labelmap.Label) map[labelmap.Label]bool {
		m := make(map[labelmap.Label]bool, len(ls))
		for _, l := range ls {
			m[l] = true
		}
		return m
	}
	mx, my := in(x), in(y)
	if len(mx) != len(my) {
		return false
	}
	for l := range mx {
		if !my[l] {
			return false
		}
	}
	return true
}

// ImageKey is the corpus-wide key of an image: its source and id.
func ImageKey(source Source, imageID string) string { return string(source) + ":" + imageID }
