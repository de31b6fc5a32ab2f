package dataset

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/boxes"
)

// vindrAnnotations reads a VinDr-CXR annotation CSV: the Kaggle train.csv
// (image_id,class_name,class_id,rad_id,x_min,y_min,x_max,y_max) or the
// PhysioNet annotations_{train,test}.csv (no class_id, rad_id optional).
// One row is one radiologist's label, with a box in original pixels unless
// the label is "No finding". The 512-px Kaggle mirror's train.csv adds the
// original width,height on every row.
type vindrAnnotations struct {
	// size is the original size of an image, given the row's own
	// width,height (zero when the file has none). id is a view of the
	// reader's buffer, valid during the call.
	size func(id []byte, row Size) (Size, error)
}

func (vindrAnnotations) rules() sourceRules {
	return sourceRules{input: inputVinDr, corpus: cxrkit.SourceVinDr, labels: string(cxrkit.SourceVinDr), noFindingIsNormal: true, exhaustive: true}
}

// The annotation rows are read as views of the reader's buffer (see
// csvViewRows): of a row, only its image id (by the image registry, once
// per image) and its class and reader names (interned here, once per
// file) are copied, and its coordinates are parsed in place.
func (v vindrAnnotations) read(ctx context.Context, path string, emit func(row) error) error {
	t, err := openCSVInput(ctx, path)
	if err != nil {
		return err
	}
	defer t.Close()
	if isVinDrImageLabels(t) {
		return readVinDrImageLabels(ctx, t, emit)
	}
	idCol, classCol, radCol := t.col("image_id"), t.col("class_name"), t.col("rad_id")
	coordCols := [4]int{t.col("x_min"), t.col("y_min"), t.col("x_max"), t.col("y_max")}
	if idCol < 0 || classCol < 0 || coordCols[0] < 0 || coordCols[1] < 0 || coordCols[2] < 0 || coordCols[3] < 0 {
		return fmt.Errorf("%s:1: not a VinDr annotation CSV: want image_id, class_name, x_min, y_min, x_max, y_max columns (annotations), or image_id, rad_id and 0/1 label columns (image_labels); got %v", path, t.header)
	}
	need := max(idCol, classCol, coordCols[0], coordCols[1], coordCols[2], coordCols[3]) + 1
	wCol, hCol := t.col("width"), t.col("height")
	// One row is alive at a time (until emit returns), so its label slice
	// and box locator are reused rather than allocated per row.
	cur := &vindrRow{v: v, cols: coordCols}
	locate, natives, names := cur.locate, make([]string, 1), internTable{}
	return csvViewRows(ctx, t, need, emit, func(rec [][]byte, _ int) row {
		cur.id, cur.rec = fieldView(rec, idCol), rec
		natives[0] = names.intern(fieldView(rec, classCol))
		cur.orig = Size{}
		if wCol >= 0 && hCol >= 0 {
			cur.orig.Width, _ = strconv.Atoi(string(fieldView(rec, wCol)))
			cur.orig.Height, _ = strconv.Atoi(string(fieldView(rec, hCol)))
		}
		return row{idView: cur.id, natives: natives, reader: names.intern(fieldView(rec, radCol)), locate: locate, orig: cur.orig}
	})
}

// internTable hands out one string per distinct name a file repeats on
// every row (class and reader names), copied once.
type internTable map[string]string

func (t internTable) intern(b []byte) string {
	if s, ok := t[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(t) < maxLookups {
		t[s] = s
	}
	return s
}

// vindrRow locates the box of the row being applied.
type vindrRow struct {
	v    vindrAnnotations
	cols [4]int
	id   []byte
	rec  [][]byte
	orig Size
}

func (r *vindrRow) locate() (boxes.Box, bool, error) {
	b, err := r.v.box(r.id, r.orig, r.rec, r.cols)
	return b, true, err
}

func (v vindrAnnotations) box(id []byte, orig Size, rec [][]byte, cols [4]int) (boxes.Box, error) {
	var c [4]float64
	for i, col := range cols {
		val, err := parseCoordView(fieldView(rec, col))
		if err != nil {
			return boxes.Box{}, err
		}
		c[i] = val
	}
	size, err := v.size(id, orig)
	if err != nil {
		return boxes.Box{}, err
	}
	return boxes.FromPixels(c[0], c[1], c[2], c[3], size.Width, size.Height)
}

// resizedMirrorMaxSide is the longest side of the resized VinDr mirrors
// (256, 512 and 1024 px). VinDr originals are about 2,000-3,000 px, so an
// image file at most this large is a resized copy, whose header says
// nothing about the pixel space of the boxes.
const resizedMirrorMaxSide = 1024

// vindrSize is the ORIGINAL size of a VinDr image, in which its boxes are
// drawn: --vindr-meta first, else the width,height of its VinDr rows, else
// the image file's header when the file is full resolution (a DICOM, or a
// PNG/JPEG larger than any resized mirror).
func (p *preparer) vindrSize(id string) (Size, error) {
	return p.vindrImageSize(p.images.lookup(cxrkit.SourceVinDr, id), id, Size{})
}

// vindrBoxSize is vindrSize given the row's own width,height, of an id
// that is a view of a reader's buffer: the row's image, just applied, has
// the id as a string.
func (p *preparer) vindrBoxSize(id []byte, row Size) (Size, error) {
	if a := p.images.lookupView(cxrkit.SourceVinDr, id); a != nil {
		return p.vindrImageSize(a, a.id, row)
	}
	return p.vindrImageSize(nil, string(id), row)
}

// vindrImageSize is vindrBoxSize given the image's accumulator, nil when
// the image has none yet.
func (p *preparer) vindrImageSize(a *imageAcc, id string, row Size) (Size, error) {
	if s, ok := p.vindrMetaSize(a, id); ok {
		return s, nil
	}
	if row.Width > 0 && row.Height > 0 {
		return row, nil
	}
	if a != nil {
		if w, h := a.orig(); w > 0 && h > 0 {
			return Size{Width: w, Height: h}, nil
		}
	}
	s, found, err := p.vindrDir.size(id)
	if err != nil {
		return Size{}, fmt.Errorf("%w: %v", boxes.ErrNoImageSize, err)
	}
	if !found {
		return Size{}, fmt.Errorf("%w: boxes are in original DICOM pixels: give --vindr-meta (image_id,dim0,dim1), a train.csv with width,height columns, or full-resolution images", boxes.ErrNoImageSize)
	}
	if path, _ := p.vindrDir.path(id); !isDICOM(path) && max(s.Width, s.Height) <= resizedMirrorMaxSide {
		return Size{}, fmt.Errorf("%w: %s is %dx%d, a resized copy, and boxes are in original DICOM pixels: give --vindr-meta (image_id,dim0,dim1) or a train.csv with width,height columns", boxes.ErrNoImageSize, filepath.Base(path), s.Width, s.Height)
	}
	return s, nil
}

// vindrMetaSize is the --vindr-meta size of image id, on its accumulator
// a when there is one (the size files are read before any row, and make
// the accumulators of the images they name).
func (p *preparer) vindrMetaSize(a *imageAcc, id string) (Size, bool) {
	if a == nil {
		return p.images.metaOf(cxrkit.SourceVinDr, id)
	}
	return a.meta, a.hasMeta
}

func isDICOM(path string) bool {
	ext := strings.ToLower(filepath.Ext(path))
	return ext == ".dcm" || ext == ".dicom"
}

// parseCoordView is parseCoord of a view: string(b) is a copy that does not
// escape (ParseFloat keeps a copy of its own in an error), so it stays off
// the heap (TestParseCoordViewAllocs).
func parseCoordView(b []byte) (float64, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return 0, errMissingCoord
	}
	v, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return 0, fmt.Errorf("%w: %q", errNonNumeric, b)
	}
	return v, nil
}

func parseCoord(s string) (float64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, errMissingCoord
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: %q", errNonNumeric, s)
	}
	return v, nil
}
