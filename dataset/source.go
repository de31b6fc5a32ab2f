package dataset

import (
	"context"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/boxes"
)

// A source reads the files of one input kind into rows. A source only
// reads: it never counts a row and never touches an image. The preparer
// applies every row the same way (see apply), so that each row read is
// kept, dropped or rejected exactly once, by construction. A new source is
// one file: a type implementing source and a line in readAll.
type source interface {
	// rules says how the preparer applies the source's rows.
	rules() sourceRules
	// read streams the rows of one file into emit, in file order. An error
	// from emit stops the read and is returned as is; any other error
	// names the file.
	read(ctx context.Context, path string, emit func(row) error) error
}

// sourceRules are what distinguishes the sources once rows are read.
type sourceRules struct {
	input  string        // accounting kind in the report (vindr, vqa, nih, chestxdet)
	corpus cxrkit.Source // corpus source of the rows' images
	labels string        // label-map source of the rows' native labels

	// noFindingIsNormal: a mapped "no finding" label says the image is
	// normal (VinDr rows, NIH Data_Entry). Otherwise such a row is dropped
	// (a "No Finding" box means nothing).
	noFindingIsNormal bool
	// exhaustive: every well-formed row comes from a reading of all the
	// source's classes (VinDr radiologists, ChestX-Det annotators, NIH
	// Data_Entry), so an image with no mapped positive is normal. Images
	// known only from other rows (NIH box list, VinDr-CXR-VQA) are never
	// called normal and are written only with a box.
	exhaustive bool
	// boxOnly: a mapped positive without a box is dropped: the row does
	// not assert the finding (a VQA pair without a location is mostly a
	// negative answer).
	boxOnly bool
	// once: a (label, box) pair, or a box-less label, already present on
	// the image is counted as a duplicate, not added again.
	once bool
	// patientOf derives the patient id from the image id, when the
	// source's ids carry it (NIH).
	patientOf func(id string) string
}

// A row is one input row as a source read it: the image it is about, the
// native labels it names and how to find its box.
type row struct {
	line int
	file string // the file of line, when not the input path (a folder's shard)
	raw  any    // the row as read, written to rejects.jsonl (made then when a lazyRaw)
	// views is the CSV record of a CSV row, its raw form when raw is nil,
	// as views of the reader's buffer valid until emit returns (see
	// csvViewRows); kept as a slice so a row that is not rejected costs
	// no boxing.
	views [][]byte

	// reject rejects the row as read (malformed, missing id, mismatched
	// fields). rejectsPositive says the rejected row claimed a finding on
	// image id, so that image is never called normal on its account.
	reject          error
	rejectsPositive bool

	id string // image id, file extension removed
	// idView is the image id as a view of the reader's buffer, valid until
	// emit returns, set instead of id by the VinDr reader: the image
	// registry copies an id once per image, not once per row.
	idView []byte

	// natives are the native labels the row names: one for annotation
	// rows, several for image-level label lists, none for a row that
	// names no label.
	natives []string
	// normalRecord marks a row that stands for an exhaustive reading that
	// found nothing (a ChestX-Det record without syms).
	normalRecord bool
	// locate gives the row's box, asked only once the row's label is a
	// mapped positive: ok false is a label without a box; an error
	// rejects the row. A nil locate is an image-level label.
	locate func() (b boxes.Box, ok bool, err error)
	reader string // who drew the box (rad_id, "vqa", the source)

	// Image facts, applied when set.
	patient string
	orig    Size // original acquisition size (NIH Data_Entry)
	size    Size // pixel size the row's boxes are drawn in
}

// Native-label names counted for rows that name no label.
const (
	nativeNone       = "(none)"
	nativeNoFindings = "(no findings)"
)

// rawValue is the row as read, for rejects.jsonl.
func (r *row) rawValue() any {
	if l, ok := r.raw.(lazyRaw); ok {
		return l.rawForm()
	}
	if r.raw == nil && r.views != nil {
		fields := make([]string, len(r.views))
		for i, f := range r.views {
			fields[i] = string(f)
		}
		return fields
	}
	return r.raw
}

// lazyRaw is a raw form a source makes only for a rejected row: the row
// is a view of the source's reused state, valid until emit returns.
type lazyRaw interface{ rawForm() any }

// hasID reports whether the row names an image.
func (r *row) hasID() bool { return r.id != "" || len(r.idView) > 0 }
