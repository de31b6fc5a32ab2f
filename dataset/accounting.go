package dataset

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Reject reason texts that are not box validation errors (those come from
// the boxes package).
var (
	errMissingCoord   = errors.New("missing coordinate")
	errNonNumeric     = errors.New("non-numeric coordinate")
	errFieldCount     = errors.New("wrong number of fields")
	errMalformedRow   = errors.New("malformed row")
	errMissingID      = errors.New("missing image id")
	errMissingLabel   = errors.New("missing label")
	errNotInVinDr     = errors.New("image_id not in the VinDr annotations")
	errSymsBoxes      = errors.New("syms and boxes differ in length")
	errBadBox         = errors.New("box is not four numbers")
	errUnknownClassID = errors.New("unknown class id in label grid")
)

// Reject is one rejected input row, as written to rejects.jsonl.
type Reject struct {
	File   string `json:"file"`
	Line   int    `json:"line"`
	Reason string `json:"reason"`
	Detail string `json:"detail,omitempty"`
	Row    any    `json:"row"`
}

// NativeCount counts the rows of one native label.
type NativeCount struct {
	Rows   int    `json:"rows"`
	Status string `json:"status"` // mapped, dropped or unknown
	Label  string `json:"label,omitempty"`
}

// SourceStats accounts for every row of one input kind (vindr, vqa, nih,
// chestxdet): read = kept + dropped_unmapped + rejected.
type SourceStats struct {
	Files           []string                `json:"files"`
	RowsRead        int                     `json:"rows_read"`
	RowsKept        int                     `json:"rows_kept"`
	RowsDropped     int                     `json:"rows_dropped_unmapped"`
	RowsRejected    int                     `json:"rows_rejected"`
	NativeLabels    map[string]*NativeCount `json:"native_labels"`
	RejectedReasons map[string]int          `json:"rejected_by_reason"`
	// RowsDuplicate counts kept rows that repeated a (label, box) already
	// present (VQA rows restating VinDr boxes).
	RowsDuplicate int `json:"rows_duplicate,omitempty"`
}

func newSourceStats() *SourceStats {
	return &SourceStats{NativeLabels: map[string]*NativeCount{}, RejectedReasons: map[string]int{}}
}

// Balanced reports whether the accounting identity holds.
func (s *SourceStats) Balanced() bool {
	return s.RowsRead == s.RowsKept+s.RowsDropped+s.RowsRejected
}

func (s *SourceStats) countNative(native, status, label string) {
	n := s.NativeLabels[native]
	if n == nil {
		n = &NativeCount{Status: status, Label: label}
		s.NativeLabels[native] = n
	}
	n.Rows++
}

// rejectSink streams rejects to a writer and counts them.
type rejectSink struct {
	enc *json.Encoder
	n   int
}

func newRejectSink(w io.Writer) *rejectSink {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return &rejectSink{enc: enc}
}

func (r *rejectSink) add(s *SourceStats, file string, line int, reason error, row any) error {
	s.RowsRejected++
	key := rootReason(reason)
	s.RejectedReasons[key]++
	r.n++
	rej := Reject{File: file, Line: line, Reason: key, Row: row}
	if detail := reason.Error(); detail != key {
		rej.Detail = detail
	}
	if err := r.enc.Encode(rej); err != nil {
		return fmt.Errorf("write rejects: %w", err)
	}
	return nil
}

// rootReason is the stable reason text of an error: the innermost wrapped
// sentinel, so that reasons can be counted.
func rootReason(err error) string {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err.Error()
		}
		err = next
	}
}
