package serve

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/imaging"
	"github.com/cxrkit/cxrkit/labelmap"
)

// ReviewFiles name a finished audit to browse: its results, the corpus
// the images and findings come from, and optionally the cases with their
// drafts and expected audits.
type ReviewFiles struct {
	Results string
	Corpus  string
	Cases   string
	// ImageRoot is the folder relative image paths are relative to
	// (default: the corpus folder).
	ImageRoot string
}

// Review is a finished audit held in memory for browsing: read once at
// start, never written. Image paths come from the corpus, by case index;
// a client never names a file.
type Review struct {
	entries   []reviewEntry
	cases     []cxrkit.Case
	records   []cxrkit.Record
	caseTypes []string // index 0 is "none": the result has no case
	imageRoot string
}

// reviewEntry is one result with the facets it is filtered by.
type reviewEntry struct {
	result    cxrkit.Result
	caseIdx   int32 // into Review.cases, or -1
	recordIdx int32 // into Review.records, or -1
	caseType  uint8 // into Review.caseTypes
	verdict   verdict
	flags     uint8  // flagBit per flag
	labels    uint16 // 1 << label index, for every label the case touches
	expected  expectation
	failed    bool
}

// verdict is the outcome of one result, as the review list shows it.
type verdict uint8

const (
	verdictClean verdict = iota
	verdictFlagged
	verdictUrgent
	verdictNotAudited
)

var verdictNames = []string{"clean", "flagged", "urgent", "not audited"}

// expectation compares the result's audit with the case's expected one.
type expectation uint8

const (
	expectNone expectation = iota
	expectAgrees
	expectDisagrees
)

var expectationNames = []string{"no expected audit", "agrees", "disagrees"}

// The three flag kinds, as bits of reviewEntry.flags.
var flagNames = []string{"missing", "unsupported", "urgent"}

var outcomeNames = []string{"ok", "error"}

// maxReviewCases bounds the cases one review holds in memory.
const maxReviewCases = 2_000_000

// LoadReview reads the files once and indexes every result.
func LoadReview(ctx context.Context, f ReviewFiles) (*Review, error) {
	if f.Results == "" || f.Corpus == "" {
		return nil, fmt.Errorf("%w: review needs results and a corpus", cxrkit.ErrInvalidOptions)
	}
	rv := &Review{caseTypes: []string{"none"}, imageRoot: f.ImageRoot}
	if rv.imageRoot == "" {
		rv.imageRoot = filepath.Dir(f.Corpus)
	}
	recordByKey := map[string]int32{}
	recordByID := map[string][]int32{}
	err := cxrkit.ReadJSONLFile(f.Corpus, func(_ int, r *cxrkit.Record) error {
		if len(rv.records) >= maxReviewCases {
			return fmt.Errorf("more than %d records", maxReviewCases)
		}
		i := int32(len(rv.records))
		rv.records = append(rv.records, *r)
		recordByKey[r.Key()] = i
		recordByID[r.ImageID] = append(recordByID[r.ImageID], i)
		return ctx.Err()
	})
	if err != nil {
		return nil, err
	}
	caseByID := map[string]int32{}
	typeIdx := map[string]uint8{}
	if f.Cases != "" {
		err := cxrkit.ReadJSONLFile(f.Cases, func(_ int, c *cxrkit.Case) error {
			if len(rv.cases) >= maxReviewCases {
				return fmt.Errorf("more than %d cases", maxReviewCases)
			}
			if _, dup := caseByID[c.CaseID]; dup {
				return fmt.Errorf("case_id %q appears twice", c.CaseID)
			}
			caseByID[c.CaseID] = int32(len(rv.cases))
			rv.cases = append(rv.cases, *c)
			return ctx.Err()
		})
		if err != nil {
			return nil, err
		}
	}
	err = cxrkit.ReadJSONLFile(f.Results, func(_ int, res *cxrkit.Result) error {
		if len(rv.entries) >= maxReviewCases {
			return fmt.Errorf("more than %d results", maxReviewCases)
		}
		e := reviewEntry{result: *res, caseIdx: -1, recordIdx: -1}
		if i, ok := caseByID[res.CaseID]; ok {
			e.caseIdx = i
		}
		if i, ok := recordByKey[cxrkit.ImageKey(res.Source, res.ImageID)]; ok {
			e.recordIdx = i
		} else if ids := recordByID[res.ImageID]; res.Source == "" && len(ids) == 1 {
			e.recordIdx = ids[0]
		}
		var c *cxrkit.Case
		if e.caseIdx >= 0 {
			c = &rv.cases[e.caseIdx]
		}
		ct := "none"
		if c != nil && c.CaseType != "" {
			ct = string(c.CaseType)
		}
		t, ok := typeIdx[ct]
		if !ok {
			if ct == "none" {
				t = 0
			} else {
				if len(rv.caseTypes) >= 255 {
					return errors.New("more than 254 case types")
				}
				t = uint8(len(rv.caseTypes))
				rv.caseTypes = append(rv.caseTypes, ct)
			}
			typeIdx[ct] = t
		}
		e.caseType = t
		e.index(c)
		rv.entries = append(rv.entries, e)
		return ctx.Err()
	})
	if err != nil {
		return nil, err
	}
	if len(rv.entries) == 0 {
		return nil, fmt.Errorf("%s: no results to review", f.Results)
	}
	return rv, nil
}

// index computes the entry's facets from its result and case.
func (e *reviewEntry) index(c *cxrkit.Case) {
	r := &e.result
	e.failed = r.Error != nil
	var a cxrkit.Audit
	if r.Audit != nil {
		a = *r.Audit
	}
	for i, l := range [][]labelmap.Label{a.MissingFindings, a.UnsupportedClaims, a.UrgentReviewFlags} {
		if len(l) > 0 {
			e.flags |= 1 << i
		}
	}
	switch {
	case e.failed || r.Audit == nil || r.Parse.Grounding == cxrkit.ParseFailed || r.Parse.Draft == cxrkit.ParseFailed:
		e.verdict = verdictNotAudited
	case e.flags&4 != 0:
		e.verdict = verdictUrgent
	case e.flags != 0:
		e.verdict = verdictFlagged
	}
	mark := func(l labelmap.Label) {
		if l.Valid() {
			e.labels |= 1 << l.Index()
		}
	}
	for _, f := range r.ImageFindings {
		mark(f.Label)
	}
	for _, d := range r.DraftFindings {
		if d.Status != cxrkit.Absent {
			mark(d.Label)
		}
	}
	for _, ls := range [][]labelmap.Label{a.MissingFindings, a.UnsupportedClaims, a.UrgentReviewFlags} {
		for _, l := range ls {
			mark(l)
		}
	}
	if c != nil && c.ExpectedAudit != nil {
		e.expected = expectDisagrees
		if e.verdict != verdictNotAudited && c.ExpectedAudit.SameFlags(a) {
			e.expected = expectAgrees
		}
	}
}

// Len is the number of results under review.
func (rv *Review) Len() int { return len(rv.entries) }

// imagePath is where the entry's image is (a file or a zip member), "" when the corpus has
// no image for it.
func (rv *Review) imagePath(e *reviewEntry, budget imaging.Options) string {
	if e.recordIdx < 0 {
		return ""
	}
	p := rv.records[e.recordIdx].ImagePath
	if p == "" {
		return ""
	}
	p = cxrkit.ResolvePath(rv.imageRoot, p)
	if st, err := budget.Stat(p); err != nil || !st.Mode().IsRegular() {
		return ""
	}
	return p
}
