package serve

import (
	"context"
	"net/http"
	"strconv"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/imaging"
)

// Page sizes of GET /api/review/cases.
const (
	defaultReviewPage = 50
	maxReviewPage     = 500
)

// reviewItem is one row of the review list.
type reviewItem struct {
	Index    int      `json:"index"`
	CaseID   string   `json:"case_id"`
	CaseType string   `json:"case_type"`
	Verdict  string   `json:"verdict"`
	Flags    []string `json:"flags"`
	Expected string   `json:"expected"`
	Error    bool     `json:"error"`
}

// reviewList is the body of GET /api/review/cases.
type reviewList struct {
	All        int           `json:"all"`
	Total      int           `json:"total"`
	Offset     int           `json:"offset"`
	Items      []reviewItem  `json:"items"`
	Facets     []facetCounts `json:"facets"`
	Disclaimer string        `json:"disclaimer"`
}

// reviewRecord is the corpus side of a case: what the annotators drew.
type reviewRecord struct {
	Source   cxrkit.Source    `json:"source"`
	ImageID  string           `json:"image_id"`
	Split    cxrkit.Split     `json:"split,omitempty"`
	Width    int              `json:"width"`
	Height   int              `json:"height"`
	Findings []cxrkit.Finding `json:"findings"`
}

// reviewCase is the body of GET /api/review/case/{i}.
type reviewCase struct {
	Index      int           `json:"index"`
	Position   int           `json:"position"`
	Total      int           `json:"total"`
	Prev       int           `json:"prev"`
	Next       int           `json:"next"`
	CaseType   string        `json:"case_type"`
	Verdict    string        `json:"verdict"`
	Expected   string        `json:"expected"`
	Result     cxrkit.Result `json:"result"`
	Case       *cxrkit.Case  `json:"case"`
	Record     *reviewRecord `json:"record"`
	Image      bool          `json:"image"`
	Disclaimer string        `json:"disclaimer"`
}

func intParam(r *http.Request, name string, def, lo, hi int) (int, bool) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return def, true
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < lo || v > hi {
		return 0, false
	}
	return v, true
}

func (s *Server) reviewCases(w http.ResponseWriter, r *http.Request) {
	rv := s.o.Review
	f, err := rv.parseFilter(r.URL.Query())
	if err != nil {
		fail(w, http.StatusBadRequest, "%v", err)
		return
	}
	offset, ok1 := intParam(r, "offset", 0, 0, rv.Len())
	limit, ok2 := intParam(r, "limit", defaultReviewPage, 1, maxReviewPage)
	if !ok1 || !ok2 {
		fail(w, http.StatusBadRequest, "offset must be 0..%d and limit 1..%d", rv.Len(), maxReviewPage)
		return
	}
	page, total, counts := rv.query(f, offset, limit)
	out := reviewList{All: rv.Len(), Total: total, Offset: offset, Items: make([]reviewItem, 0, len(page)), Facets: counts, Disclaimer: cxrkit.Disclaimer}
	for _, i := range page {
		e := &rv.entries[i]
		it := reviewItem{Index: i, CaseID: e.result.CaseID, CaseType: rv.caseTypes[e.caseType], Verdict: verdictNames[e.verdict],
			Flags: []string{}, Expected: expectationNames[e.expected], Error: e.failed}
		for b, name := range flagNames {
			if e.flags&(1<<b) != 0 {
				it.Flags = append(it.Flags, name)
			}
		}
		out.Items = append(out.Items, it)
	}
	writeJSON(w, http.StatusOK, out)
}

// reviewEntryAt reads the {i} path value; a bad index is a 404.
func (s *Server) reviewEntryAt(w http.ResponseWriter, r *http.Request) (int, *reviewEntry, bool) {
	i, err := strconv.Atoi(r.PathValue("i"))
	if err != nil || i < 0 || i >= s.o.Review.Len() {
		fail(w, http.StatusNotFound, "no case %q (want 0..%d)", r.PathValue("i"), s.o.Review.Len()-1)
		return 0, nil, false
	}
	return i, &s.o.Review.entries[i], true
}

func (s *Server) reviewCase(w http.ResponseWriter, r *http.Request) {
	rv := s.o.Review
	i, e, ok := s.reviewEntryAt(w, r)
	if !ok {
		return
	}
	f, err := rv.parseFilter(r.URL.Query())
	if err != nil {
		fail(w, http.StatusBadRequest, "%v", err)
		return
	}
	prev, next, pos := rv.neighbours(f, i)
	_, total, _ := rv.query(f, 0, 0)
	out := reviewCase{Index: i, Position: pos, Total: total, Prev: prev, Next: next, CaseType: rv.caseTypes[e.caseType],
		Verdict: verdictNames[e.verdict], Expected: expectationNames[e.expected], Result: e.result,
		Image: rv.imagePath(e, s.o.Image) != "", Disclaimer: cxrkit.Disclaimer}
	if e.caseIdx >= 0 {
		out.Case = &rv.cases[e.caseIdx]
	}
	if e.recordIdx >= 0 {
		rec := &rv.records[e.recordIdx]
		out.Record = &reviewRecord{Source: rec.Source, ImageID: rec.ImageID, Split: rec.Split, Width: rec.Width, Height: rec.Height, Findings: rec.Findings}
	}
	writeJSON(w, http.StatusOK, out)
}

// reviewImage renders the case's corpus image as PNG. The path comes from
// the corpus record, never from the request.
func (s *Server) reviewImage(w http.ResponseWriter, r *http.Request) {
	i, e, ok := s.reviewEntryAt(w, r)
	if !ok {
		return
	}
	p := s.o.Review.imagePath(e, s.o.Image)
	if p == "" {
		fail(w, http.StatusNotFound, "image not available: the corpus has no image file for this case")
		return
	}
	release, ok := s.slot(w)
	if !ok {
		return
	}
	defer release()
	ctx, cancel := context.WithTimeout(r.Context(), s.o.Timeout)
	defer cancel()
	img, _, err := s.o.Image.DecodeFile(ctx, p)
	if err != nil {
		fail(w, http.StatusUnprocessableEntity, "cannot read the image of case %d", i)
		return
	}
	data, err := imaging.PNGBytes(imaging.FitLongSide(img, 1024), true)
	if err != nil {
		fail(w, http.StatusInternalServerError, "%v", err)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	_, _ = w.Write(data)
}
