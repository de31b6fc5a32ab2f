package eval

import (
	"slices"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/labelmap"
)

// AuditReport is report.json of audit mode.
type AuditReport struct {
	Cases          int              `json:"n_cases"`
	MissingResults int              `json:"missing_results"`
	Errors         int              `json:"results_with_error"`
	GroundingFails int              `json:"grounding_failed"`
	Unmatched      int              `json:"results_without_case"`
	Failures       Failures         `json:"failures"`
	Flags          Ordered[*Counts] `json:"flags"`
	ExactMatch     Ordered[*Exact]  `json:"exact_match"`
	// Provenance records what produced the report (set by the caller).
	Provenance *cxrkit.Provenance `json:"provenance"`
	Disclaimer string             `json:"disclaimer"`
}

// exactMatchAll is the key of the exact match over all cases, after
// the per-case-type ones.
const exactMatchAll = "all"

// Overall is the exact match over all cases (nil before EvaluateAudit
// set it): callers read it here, not by its key in ExactMatch.
func (r *AuditReport) Overall() *Exact {
	return r.ExactMatch.Values[exactMatchAll]
}

// Exact counts cases whose three flag lists all match as sets.
type Exact struct {
	N        int      `json:"n"`
	Correct  int      `json:"correct"`
	Accuracy *float64 `json:"accuracy"`
}

// flagKinds are the three flag lists, in report order.
var flagKinds = [...]string{"missing_findings", "unsupported_claims", "urgent_review_flags"}

func flagLists(a *cxrkit.Audit) [3][]labelmap.Label {
	if a == nil {
		return [3][]labelmap.Label{}
	}
	return [3][]labelmap.Label{a.MissingFindings, a.UnsupportedClaims, a.UrgentReviewFlags}
}

// EvaluateAudit scores audit results against the cases' expected audits.
// A case with no result, or a result with an error, is wrong and predicts
// no flags.
func EvaluateAudit(cases []cxrkit.Case, results []cxrkit.Result) *AuditReport {
	rep := &AuditReport{Cases: len(cases), Disclaimer: cxrkit.Disclaimer}
	byID := map[string]*cxrkit.Result{}
	for i := range results {
		// A failed line never stands over the case's complete one (see
		// LoadResults).
		if prev := byID[results[i].CaseID]; prev == nil || resultFailed(prev) {
			byID[results[i].CaseID] = &results[i]
		}
	}
	counts := [3]*Counts{{}, {}, {}}
	exact := map[cxrkit.CaseType]*Exact{}
	overall := &Exact{}
	known := map[string]bool{}
	for _, c := range cases {
		known[c.CaseID] = true
		want := flagLists(c.ExpectedAudit)
		r := byID[c.CaseID]
		rep.Failures.add(auditFailure(r))
		var ok bool
		var got [3][]labelmap.Label
		switch {
		case r == nil:
			rep.MissingResults++
			ok = false
		case r.Error != nil || r.Audit == nil:
			// No verdict (audit null) is a failure, never agreement.
			rep.Errors++
			if r.Parse.Grounding == cxrkit.ParseFailed {
				rep.GroundingFails++
			}
			ok = false
		default:
			got = flagLists(r.Audit)
			var expected cxrkit.Audit
			if c.ExpectedAudit != nil {
				expected = *c.ExpectedAudit
			}
			ok = expected.SameFlags(*r.Audit)
		}
		for k := range flagKinds {
			t, p, n := setCounts(want[k], got[k])
			counts[k].TP += t
			counts[k].FP += p
			counts[k].FN += n
		}
		typ := c.CaseType
		if typ == "" {
			typ = "unknown"
		}
		e := exact[typ]
		if e == nil {
			e = &Exact{}
			exact[typ] = e
		}
		for _, x := range []*Exact{e, overall} {
			x.N++
			if ok {
				x.Correct++
			}
		}
	}
	for _, r := range results {
		if !known[r.CaseID] {
			rep.Unmatched++
		}
	}
	for k, name := range flagKinds {
		counts[k].finish()
		rep.Flags.Set(name, counts[k])
	}
	types := make([]cxrkit.CaseType, 0, len(exact))
	for t := range exact {
		types = append(types, t)
	}
	order := cxrkit.CaseTypes()
	slices.SortFunc(types, func(a, b cxrkit.CaseType) int {
		ia, ib := slices.Index(order, a), slices.Index(order, b)
		if ia < 0 {
			ia = len(order)
		}
		if ib < 0 {
			ib = len(order)
		}
		if ia != ib {
			return ia - ib
		}
		if a < b {
			return -1
		}
		return 1
	})
	for _, t := range types {
		exact[t].Accuracy = ratio(exact[t].Correct, exact[t].N)
		rep.ExactMatch.Set(string(t), exact[t])
	}
	rep.Failures.SetWarnAbove(DefaultWarnFailedShare)
	overall.Accuracy = ratio(overall.Correct, overall.N)
	rep.ExactMatch.Set(exactMatchAll, overall)
	return rep
}

func setCounts(want, got []labelmap.Label) (tp, fp, fn int) {
	w := map[labelmap.Label]bool{}
	for _, l := range want {
		w[l] = true
	}
	g := map[labelmap.Label]bool{}
	for _, l := range got {
		g[l] = true
	}
	for l := range g {
		if w[l] {
			tp++
		} else {
			fp++
		}
	}
	for l := range w {
		if !g[l] {
			fn++
		}
	}
	return
}
