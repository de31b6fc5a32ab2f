package dataset

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/cxrkit/cxrkit/boxes"
	"github.com/cxrkit/cxrkit/labelmap"
)

// Reject reason texts that are not box validation errors (those come from
// the boxes package).
var (
	errMissingCoord   = errors.New("missing coordinate")
	errNonNumeric     = errors.New("non-numeric coordinate")
	errFieldCount     = errors.New("wrong number of fields")
	errMalformedRow   = errors.New("malformed row")
	errMissingID      = errors.New("missing image id")
	errSymsBoxes      = errors.New("syms and boxes differ in length")
	errBadBox         = errors.New("box is not four numbers")
	errUnknownClassID = errors.New("unknown class id in label grid")
	errSizeUnreadable = errors.New("image size unreadable")
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
	DroppedReasons  map[string]int          `json:"dropped_by_reason"`
	RejectedReasons map[string]int          `json:"rejected_by_reason"`
	// RowsDuplicate counts kept rows that repeated a (label, box) already
	// present (VQA rows restating VinDr boxes).
	RowsDuplicate int `json:"rows_duplicate,omitempty"`
}

func newSourceStats() *SourceStats {
	return &SourceStats{NativeLabels: map[string]*NativeCount{}, DroppedReasons: map[string]int{}, RejectedReasons: map[string]int{}}
}

func (s *SourceStats) drop(reason string) {
	s.RowsDropped++
	s.DroppedReasons[reason]++
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

// readFile reads one file of src and applies its rows. A file none of
// whose rows is kept is recorded for the report: a wrong file passed to
// the right flag (a projections CSV as Data_Entry, the test split twice)
// must not vanish into a per-input total.
func (p *preparer) readFile(src source, path string) error {
	rules := src.rules()
	st := p.stats(rules.input, path)
	before := *st
	f := &fileApply{rules: rules, st: st, path: path, natives: map[string]nativeAnswer{}}
	digest := &inputDigest{path: path} // the provenance's sha256, taken as the file is read
	err := src.read(withInputDigest(p.ctx, digest), path, func(r row) error { return p.apply(f, r) })
	if err != nil {
		return err
	}
	if st.RowsKept == before.RowsKept {
		p.unkept = append(p.unkept, FileWithoutKeptRows{Input: rules.input, File: path,
			RowsRead: st.RowsRead - before.RowsRead, RowsDropped: st.RowsDropped - before.RowsDropped,
			RowsRejected: st.RowsRejected - before.RowsRejected})
	}
	return p.addInput(rules.input, path, st.RowsRead-before.RowsRead, digest)
}

// FileWithoutKeptRows is an input file from which no row was kept: every
// row was dropped or rejected, or it had none.
type FileWithoutKeptRows struct {
	Input        string `json:"input"`
	File         string `json:"file"`
	RowsRead     int    `json:"rows_read"`
	RowsDropped  int    `json:"rows_dropped"`
	RowsRejected int    `json:"rows_rejected"`
}

// Reasons a row is dropped: well-formed, but saying nothing the corpus
// can use. Native labels are counted on their own in native_labels.
const (
	dropNoLabel   = "no label"
	dropUnmapped  = "no label maps to the six-label space"
	dropNoFinding = "no-finding row of a source that never says an image is normal"
	dropNoBox     = "mapped label without a box, from a source that asserts findings only with a box"
)

// fileApply is what apply needs of the file being read.
type fileApply struct {
	rules sourceRules
	st    *SourceStats
	path  string
	// natives remembers, by native label, the label map's answer and the
	// label's count in st: a file names a few dozen labels over tens of
	// thousands of rows.
	natives map[string]nativeAnswer
}

// nativeAnswer is a native label's mapping and its count.
type nativeAnswer struct {
	label  labelmap.Label
	status labelmap.Status
	count  *NativeCount
}

// native maps a native label and counts its row.
func (p *preparer) native(f *fileApply, m *labelmap.SourceMap, native string) (labelmap.Label, labelmap.Status) {
	if a, ok := f.natives[native]; ok {
		a.count.Rows++
		return a.label, a.status
	}
	label, status := p.lookup(f.rules.labels, m, native)
	f.st.countNative(native, status.String(), string(label))
	if len(f.natives) < maxLookups {
		f.natives[native] = nativeAnswer{label, status, f.st.NativeLabels[native]}
	}
	return label, status
}

// apply is the one place a row is accounted: it counts the row as read
// and then as exactly one of kept, dropped or rejected, and records what
// the row says about its image.
func (p *preparer) apply(f *fileApply, r row) error {
	if err := p.ctx.Err(); err != nil {
		return err
	}
	rules, st, path := f.rules, f.st, f.path
	st.RowsRead++
	if r.file != "" {
		path = r.file
	}
	if r.reject == nil && !r.hasID() {
		r.reject = errMissingID
	}
	if r.reject != nil {
		if r.rejectsPositive && r.hasID() {
			p.image(rules, &r).rejectedPositive = true
		}
		return p.rejects.add(st, path, r.line, r.reject, r.rawValue())
	}
	img := p.image(rules, &r)
	img.setFacts(r)
	if rules.exhaustive {
		img.exhaustive = true
	}
	if r.normalRecord {
		st.countNative(nativeNoFindings, labelmap.Mapped.String(), string(labelmap.NoFinding))
		img.normal = true
		st.RowsKept++
		return nil
	}
	if len(r.natives) == 0 {
		st.countNative(nativeNone, labelmap.Dropped.String(), "")
		st.drop(dropNoLabel)
		return nil
	}
	m := p.vocab.Source(rules.labels)
	kept, dropped := false, dropUnmapped
	for _, native := range r.natives {
		label, status := p.native(f, m, native)
		if status != labelmap.Mapped {
			if status == labelmap.Unknown {
				img.unknownLabels = true
			}
			p.images.addOther(img, native)
			continue
		}
		if label == labelmap.NoFinding {
			if rules.noFindingIsNormal {
				img.normal = true
				kept = true
			} else {
				dropped = dropNoFinding
			}
			continue
		}
		b, hasBox, err := boxes.Box{}, false, error(nil)
		if r.locate != nil {
			b, hasBox, err = r.locate()
		}
		if err != nil {
			img.rejectedPositive = true
			return p.rejects.add(st, path, r.line, err, r.rawValue())
		}
		if !hasBox && rules.boxOnly {
			dropped = dropNoBox
			continue
		}
		kept = true
		k := label.Index()
		switch {
		case !hasBox:
			if rules.once && (img.boxless.has(k) || img.boxed.has(k)) {
				st.RowsDuplicate++
			}
			img.boxless.set(k)
		case rules.once && img.hasBox(label, b):
			st.RowsDuplicate++
		default:
			p.images.readings.add(img, label, b, r.reader)
		}
	}
	if kept {
		st.RowsKept++
	} else {
		st.drop(dropped)
	}
	return nil
}

// image returns the accumulator of the image of row r, creating it.
func (p *preparer) image(rules sourceRules, r *row) *imageAcc {
	var img *imageAcc
	if r.id == "" {
		img = p.images.getView(rules.corpus, r.idView)
	} else {
		img = p.images.get(rules.corpus, r.id)
	}
	if rules.patientOf != nil && img.patient() == "" {
		img.setPatient(rules.patientOf(img.id))
	}
	return img
}

// labelLookup is a label map's answer for one native label.
type labelLookup struct {
	label  labelmap.Label
	status labelmap.Status
}

// maxLookups bounds the remembered label-map answers; real files name a
// few dozen distinct labels.
const maxLookups = 4096

// lookup maps a native label through the source's label map, remembering
// the answer: a file names a few dozen labels over tens of thousands of
// rows, and normalizing the spelling on every row showed in profiles.
func (p *preparer) lookup(source string, m *labelmap.SourceMap, native string) (labelmap.Label, labelmap.Status) {
	k := [2]string{source, native}
	if a, ok := p.lookups[k]; ok {
		return a.label, a.status
	}
	label, status := m.Lookup(native)
	if p.lookups == nil {
		p.lookups = map[[2]string]labelLookup{}
	}
	if len(p.lookups) < maxLookups {
		p.lookups[k] = labelLookup{label, status}
	}
	return label, status
}
