package audit

import (
	"slices"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/labelmap"
)

// CompareOptions tune the comparator.
type CompareOptions struct {
	// Urgent is the urgent whitelist (labelmap.Vocabulary.Urgent()).
	Urgent []labelmap.Label
	// UncertainAsAbsent reads a hedged draft statement ("possible
	// effusion") as not asserting the finding; by default it asserts it.
	UncertainAsAbsent bool
}

// draftSays is what a draft says of one label, all its statements taken
// together.
type draftSays int

const (
	silent draftSays = iota
	denies
	asserts
)

// Compare judges a draft against the image findings, label by label:
//
//	image \ draft     silent    present   absent
//	present           missing   ok        missing (denied)
//	absent or silent  —         unsupported —
//
// A draft that both asserts and denies a label ("no left effusion; small
// right effusion") asserts it. Urgent flags are every image-present label
// on the urgent whitelist, reported or not. no_finding never appears in a
// list; lists come in canonical order.
func Compare(image []cxrkit.Finding, draft []cxrkit.DraftFinding, opts CompareOptions) cxrkit.Audit {
	var inImage [labelmap.NumLabels]bool
	for _, f := range image {
		if f.Label.Positive() {
			inImage[f.Label.Index()] = true
		}
	}
	var says [labelmap.NumLabels]draftSays
	for _, d := range draft {
		if !d.Label.Positive() {
			continue
		}
		s := asserts
		if d.Status == cxrkit.Absent || (d.Status == cxrkit.Uncertain && opts.UncertainAsAbsent) {
			s = denies
		}
		says[d.Label.Index()] = max(says[d.Label.Index()], s)
	}
	var a cxrkit.Audit
	for _, l := range labelmap.Positives() {
		i := l.Index()
		switch {
		case inImage[i] && says[i] != asserts:
			a.MissingFindings = append(a.MissingFindings, l)
		case !inImage[i] && says[i] == asserts:
			a.UnsupportedClaims = append(a.UnsupportedClaims, l)
		}
		if inImage[i] && slices.Contains(opts.Urgent, l) {
			a.UrgentReviewFlags = append(a.UrgentReviewFlags, l)
		}
	}
	return a
}
