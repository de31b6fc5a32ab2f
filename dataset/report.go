package dataset

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/labelmap"
)

// Report is report.json: everything a user needs to trust the corpus.
type Report struct {
	Tool       string         `json:"tool"`
	Version    string         `json:"version"`
	Disclaimer string         `json:"disclaimer"`
	Flags      map[string]any `json:"flags"`

	// Inputs accounts for every row of every input kind.
	Inputs map[string]*SourceStats `json:"inputs"`
	// FilesWithoutKeptRows names each input file that gave no kept row.
	FilesWithoutKeptRows []FileWithoutKeptRows `json:"files_without_kept_rows,omitempty"`
	// Sources describes images per corpus source.
	Sources map[cxrkit.Source]*SourceImages `json:"sources"`

	RowsRejected int         `json:"rows_rejected"`
	Duplicates   []Duplicate `json:"duplicates"`
	// DamagedArchives lists the zip archives found inside an image folder
	// that could not be read, by path, with the error: skipped, their
	// images count as image_files_missing.
	DamagedArchives map[string]string `json:"damaged_archives,omitempty"`
	// Undecodable lists images that --dedup-images could not read.
	Undecodable map[string]string `json:"undecodable_images,omitempty"`

	Images     int                          `json:"images"`
	Splits     map[cxrkit.Split]*SplitCount `json:"splits"`
	Labels     map[string]int               `json:"images_per_label"`
	Holdout    *HoldoutCount                `json:"holdout,omitempty"`
	Outputs    map[string]string            `json:"outputs"`
	Identities map[string]bool              `json:"accounting_balanced"`
	// Provenance records the cxrkit build, the command line and every
	// input file with its sha256 and the rows read from it.
	Provenance *cxrkit.Provenance `json:"provenance"`
}

// SourceImages counts one corpus source's images from read to written.
type SourceImages struct {
	ImagesRead    int            `json:"images_read"`
	ImagesWritten int            `json:"images_written"`
	LeftOut       map[string]int `json:"images_left_out"`
	Ambiguous     int            `json:"images_ambiguous"`
	boxCounts
	MissingImageFiles int `json:"image_files_missing,omitempty"`
	SizeMismatch      int `json:"image_size_differs_from_annotations,omitempty"`
	// SizeUnreadable counts images whose file is there but whose size
	// could not be read; their box rows are rejected (image size
	// unreadable), and the record keeps the annotations' or documented
	// size.
	SizeUnreadable int `json:"image_size_unreadable,omitempty"`
}

// SplitCount is the content of one split.
type SplitCount struct {
	Images int            `json:"images"`
	Labels map[string]int `json:"labels"`
}

// HoldoutCount reports --holdout-list: listed ids are forced into test,
// with every image of their patient or duplicate group.
type HoldoutCount struct {
	Listed      int    `json:"ids_listed"`
	Matched     int    `json:"ids_matched"`
	NotInCorpus int    `json:"ids_not_in_corpus"`
	TestImages  int    `json:"test_images"`
	FromFile    string `json:"file,omitempty"`
}

// Summary is a one-screen human summary of the report.
func (r *Report) Summary() string {
	var b strings.Builder
	if _, ok := r.Outputs["corpus"]; ok {
		fmt.Fprintf(&b, "cxrkit prepare: %d images written\n", r.Images)
	} else {
		fmt.Fprintf(&b, "cxrkit prepare: %d images kept, no corpus written\n", r.Images)
	}
	for _, name := range slices.Sorted(maps.Keys(r.Inputs)) {
		s := r.Inputs[name]
		check := "ok"
		if !s.Balanced() {
			check = "MISMATCH"
		}
		fmt.Fprintf(&b, "  %-10s rows %7d = kept %7d + dropped %6d + rejected %5d  [%s]\n",
			name, s.RowsRead, s.RowsKept, s.RowsDropped, s.RowsRejected, check)
	}
	for _, f := range r.FilesWithoutKeptRows {
		fmt.Fprintf(&b, "  WARNING: no row kept from %s %s: %d read = %d dropped + %d rejected\n",
			f.Input, f.File, f.RowsRead, f.RowsDropped, f.RowsRejected)
	}
	for _, name := range slices.Sorted(maps.Keys(r.Sources)) {
		s := r.Sources[name]
		left := 0
		for _, n := range s.LeftOut {
			left += n
		}
		fmt.Fprintf(&b, "  %-10s images %6d read, %6d written, %5d left out; boxes %d → %d merged → %d final\n",
			name, s.ImagesRead, s.ImagesWritten, left, s.Before, s.AfterMerge, s.Final)
	}
	fmt.Fprintf(&b, "  splits:")
	for _, sp := range cxrkit.Splits() {
		if c := r.Splits[sp]; c != nil {
			fmt.Fprintf(&b, " %s %d", sp, c.Images)
		}
	}
	fmt.Fprintf(&b, "\n  labels:")
	for _, l := range labelmap.All() {
		fmt.Fprintf(&b, " %s %d", l, r.Labels[string(l)])
	}
	fmt.Fprintf(&b, "\n")
	if len(r.Duplicates) > 0 {
		fmt.Fprintf(&b, "  cross-source duplicates: %d pairs (kept in one split)\n", len(r.Duplicates))
	}
	for _, p := range slices.Sorted(maps.Keys(r.DamagedArchives)) {
		fmt.Fprintf(&b, "  warning: damaged archive %s skipped, its images count as missing: %s\n", p, r.DamagedArchives[p])
	}
	if r.RowsRejected > 0 {
		fmt.Fprintf(&b, "  %d rows rejected: see %s\n", r.RowsRejected, r.Outputs["rejects"])
	}
	fmt.Fprintf(&b, "  %s\n", r.Disclaimer)
	return b.String()
}

// ErrNoImages marks a prepare that wrote no image at all.
var ErrNoImages = errors.New("prepare wrote no image")

// NoImages is nil when the corpus has images, else ErrNoImages with the
// rejection reasons counted across inputs, so a typo or a missing size
// file is not an empty corpus with exit 0.
func (r *Report) NoImages() error {
	if r.Images > 0 {
		return nil
	}
	reasons := cxrkit.Reasons{}
	for _, s := range r.Inputs {
		for k, n := range s.RejectedReasons {
			reasons[k] += n
		}
	}
	if len(reasons) == 0 {
		return fmt.Errorf("%w: no input row was kept", ErrNoImages)
	}
	return fmt.Errorf("%w: %d rows rejected: %s", ErrNoImages, reasons.Total(), reasons)
}
