package cxrkit

import (
	"encoding/json"

	"github.com/cxrkit/cxrkit/boxes"
	"github.com/cxrkit/cxrkit/labelmap"
)

// Finding is one image-side finding: a label and its box, or a nil box when
// the finding is present but not localized.
type Finding struct {
	Label labelmap.Label `json:"label"`
	Box   *boxes.Box     `json:"box_2d"`
	// Readers is how many distinct readers drew the box (corpus only).
	Readers int `json:"readers,omitempty"`
}

// NoFindingList is the one finding list of a normal image.
func NoFindingList() []Finding { return []Finding{{Label: labelmap.NoFinding}} }

// Status is what a draft says of a label.
type Status string

// Draft statuses.
const (
	Present   Status = "present"
	Absent    Status = "absent"
	Uncertain Status = "uncertain"
)

// Valid reports whether s is one of the three statuses.
func (s Status) Valid() bool { return s == Present || s == Absent || s == Uncertain }

// DraftFinding is one draft-side finding: what the draft says of a label
// and the verbatim words that say it.
type DraftFinding struct {
	Label  labelmap.Label `json:"label"`
	Status Status         `json:"status"`
	Span   string         `json:"span"`
}

// Record is one corpus image (SPEC §3).
type Record struct {
	ImageID   string    `json:"image_id"`
	Source    Source    `json:"source"`
	PatientID string    `json:"patient_id,omitempty"`
	Split     Split     `json:"split"`
	Width     int       `json:"width"`
	Height    int       `json:"height"`
	ImagePath string    `json:"image_path,omitempty"`
	Findings  []Finding `json:"findings"`
	// OtherLabels are the image's native labels outside the six-label
	// space (dropped or unknown to the label map), sorted: nothing read is
	// lost, and users can filter on them.
	OtherLabels []string `json:"other_labels,omitempty"`
}

// Key is the corpus key of the record, "source:image_id".
func (r *Record) Key() string { return ImageKey(r.Source, r.ImageID) }

// Positives returns the record's distinct positive labels in canonical order.
func (r *Record) Positives() []labelmap.Label { return PositiveLabels(r.Findings) }

// PositiveLabels returns the distinct positive labels of findings in
// canonical order.
func PositiveLabels(findings []Finding) []labelmap.Label {
	var seen [labelmap.NumLabels]bool
	for _, f := range findings {
		if f.Label.Positive() {
			seen[f.Label.Index()] = true
		}
	}
	var out []labelmap.Label
	for _, l := range labelmap.Positives() {
		if seen[l.Index()] {
			out = append(out, l)
		}
	}
	return out
}

// Labels is a list of labels that is written as [] when empty, never null.
type Labels []labelmap.Label

// MarshalJSON writes [] for an empty list.
func (l Labels) MarshalJSON() ([]byte, error) {
	if l == nil {
		return []byte("[]"), nil
	}
	return json.Marshal([]labelmap.Label(l))
}

// Audit is the comparator's verdict: three flag lists in canonical order.
type Audit struct {
	MissingFindings   Labels `json:"missing_findings"`
	UnsupportedClaims Labels `json:"unsupported_claims"`
	UrgentReviewFlags Labels `json:"urgent_review_flags"`
}

// Case is one synthetic audit case (SPEC §4).
type Case struct {
	CaseID          string         `json:"case_id"`
	ImageID         string         `json:"image_id"`
	Source          Source         `json:"source"`
	Split           Split          `json:"split,omitempty"`
	CaseType        CaseType       `json:"case_type,omitempty"`
	DraftText       string         `json:"draft_text"`
	DraftFindings   []DraftFinding `json:"draft_findings,omitempty"`
	ExpectedAudit   *Audit         `json:"expected_audit,omitempty"`
	CorruptedLabels Labels         `json:"corrupted_labels"`
	ImagePath       string         `json:"image_path,omitempty"`
}

// Parse records how each side of a result was obtained.
type Parse struct {
	// Grounding is ok, salvaged, failed or gold.
	Grounding ParseStatus `json:"grounding"`
	// Draft is ok, salvaged, failed or rules.
	Draft ParseStatus `json:"draft"`
	// DraftFallback, when set, says why the draft model's reading was
	// replaced by the rules parser's (Draft is then rules).
	DraftFallback string `json:"draft_fallback,omitempty"`
}

// Result is one audit outcome (SPEC §6).
type Result struct {
	CaseID        string         `json:"case_id"`
	ImageID       string         `json:"image_id"`
	Source        Source         `json:"source,omitempty"`
	ImageFindings []Finding      `json:"image_findings"`
	DraftFindings []DraftFinding `json:"draft_findings"`
	// Audit is nil (JSON null) when the image or the draft could not be
	// read: no verdict is given without both readings.
	Audit      *Audit  `json:"audit"`
	Parse      Parse   `json:"parse"`
	BoxFormat  string  `json:"box_format"`
	Disclaimer string  `json:"disclaimer"`
	Error      *string `json:"error"`
	// Raw model text, kept so a failed or salvaged parse can be inspected.
	RawGrounding string `json:"raw_grounding,omitempty"`
	RawDraft     string `json:"raw_draft,omitempty"`
	// Notes explains fallbacks and retries ("draft llm failed: ...; used rules").
	Notes []string `json:"notes,omitempty"`
	// Attempts is the number of grounding requests the parse ladder made.
	Attempts int `json:"attempts,omitempty"`
	// Prompts maps prompt name to the sha256 of the template used.
	Prompts map[string]string `json:"prompt_sha256,omitempty"`
	Model   string            `json:"model,omitempty"`
}
