package eval

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/labelmap"
)

// ErrInput marks an eval input that is not what its flag asks for: the
// wrong kind of file, an empty file, a duplicate key or a label outside
// the vocabulary. Errors name the file and line.
var ErrInput = errors.New("bad eval input")

// kind is what one flag of eval expects.
type kind struct {
	what string   // "audit results", for messages
	keys []string // fields every line must have
	hint string   // what such a file comes from
}

var (
	goldKind    = kind{"a corpus", []string{"image_id", "source", "findings"}, "prepare's corpus.jsonl"}
	casesKind   = kind{"cases", []string{"case_id", "image_id", "draft_text", "expected_audit"}, "synth's cases file"}
	resultsKind = kind{"audit results", []string{"case_id", "image_id", "parse", "audit", "error"}, "audit's --out file"}
)

// checkLine refuses a line that lacks a field of its kind.
func checkLine(data []byte, k kind) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return err
	}
	for _, key := range k.keys {
		if _, ok := m[key]; !ok {
			return fmt.Errorf("%w: not %s (no %q; want %s)", ErrInput, k.what, key, k.hint)
		}
	}
	return nil
}

func checkLabels(ls ...labelmap.Label) error {
	for _, l := range ls {
		if !l.Valid() {
			names := make([]string, 0, labelmap.NumLabels)
			for _, v := range labelmap.All() {
				names = append(names, string(v))
			}
			return fmt.Errorf("%w: label %q is not in the vocabulary (%s)", ErrInput, l, strings.Join(names, ", "))
		}
	}
	return nil
}

// load reads a JSONL file of kind k: every line checked, keys unique,
// at least one row. A repeated key is an error unless retry is set and
// says which of the two lines stands (a retried result).
//
// lines is the number of rows read, superseded ones included.
func load[T any](path string, k kind, key func(*T) string, check func(*T) error, retry func(prev, cur *T) (keepCur, ok bool)) (out []T, lines int, err error) {
	first := map[string]int{} // key → line of its first row
	at := map[string]int{}    // key → index in out
	err = cxrkit.ReadJSONLFile(path, func(line int, raw *json.RawMessage) error {
		lines++
		if err := checkLine(*raw, k); err != nil {
			return err
		}
		var v T
		if err := json.Unmarshal(*raw, &v); err != nil {
			return err
		}
		if err := check(&v); err != nil {
			return err
		}
		id := key(&v)
		if prev, dup := first[id]; dup {
			keepCur, ok := false, false
			if retry != nil {
				keepCur, ok = retry(&out[at[id]], &v)
			}
			if !ok {
				return fmt.Errorf("%w: duplicate key %q (first at line %d)", ErrInput, id, prev)
			}
			if keepCur {
				out[at[id]] = v
			}
			return nil
		}
		first[id], at[id] = line, len(out)
		out = append(out, v)
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	if len(out) == 0 {
		return nil, 0, fmt.Errorf("%s: %w: empty: no %s", path, ErrInput, k.what)
	}
	return out, lines, nil
}

// LoadGold reads a gold corpus for image mode.
func LoadGold(path string) ([]cxrkit.Record, error) {
	gold, _, err := load(path, goldKind, func(r *cxrkit.Record) string { return r.Key() }, func(r *cxrkit.Record) error {
		for _, f := range r.Findings {
			if err := checkLabels(f.Label); err != nil {
				return err
			}
		}
		return nil
	}, nil)
	return gold, err
}

// LoadCases reads synth cases for audit mode.
func LoadCases(path string) ([]cxrkit.Case, error) {
	cases, _, err := load(path, casesKind, func(c *cxrkit.Case) string { return c.CaseID }, func(c *cxrkit.Case) error {
		if c.ExpectedAudit == nil {
			return fmt.Errorf("%w: case %s has no expected_audit", ErrInput, c.CaseID)
		}
		a := c.ExpectedAudit
		return checkLabels(append(append(append([]labelmap.Label{}, a.MissingFindings...), a.UnsupportedClaims...), a.UrgentReviewFlags...)...)
	}, nil)
	return cases, err
}

// LoadResults reads audit results (or grounding predictions). A case may
// have several lines only when all but one failed (an error or no
// verdict: a result a later run retried): the last complete result
// stands, else the last failed one. Two complete results for one case
// are an error.
func LoadResults(path string) ([]cxrkit.Result, error) {
	results, _, err := LoadResultsRead(path)
	return results, err
}

// Superseded is the provenance reason of a failed result line a later
// line of its case replaced (LoadResultsRead).
const Superseded = "superseded by a retry"

// LoadResultsRead is LoadResults that also says how many lines were
// read: lines minus len(results) were superseded by a retry, a count a
// report's provenance records (cxrkit.Provenance.Drop with Superseded).
func LoadResultsRead(path string) (results []cxrkit.Result, lines int, err error) {
	return load(path, resultsKind, func(r *cxrkit.Result) string { return r.CaseID }, func(r *cxrkit.Result) error {
		for _, f := range r.ImageFindings {
			if err := checkLabels(f.Label); err != nil {
				return err
			}
		}
		if a := r.Audit; a != nil {
			return checkLabels(append(append(append([]labelmap.Label{}, a.MissingFindings...), a.UnsupportedClaims...), a.UrgentReviewFlags...)...)
		}
		return nil
	}, retriedResult)
}

// retriedResult decides between two lines of one case: a failed line
// never replaces a complete one; a complete or later failed line replaces
// a failed one; two complete lines cannot both stand.
func retriedResult(prev, cur *cxrkit.Result) (keepCur, ok bool) {
	switch pf, cf := resultFailed(prev), resultFailed(cur); {
	case !pf && !cf:
		return false, false
	case cf && !pf:
		return false, true
	}
	return true, true
}

// resultFailed is audit's notion of a result to retry: an error, or no
// verdict.
func resultFailed(r *cxrkit.Result) bool { return r.Error != nil || r.Audit == nil }
