package dataset

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/boxes"
)

// vindrAnnotations reads a VinDr-CXR annotation CSV: the Kaggle train.csv
// (image_id,class_name,class_id,rad_id,x_min,y_min,x_max,y_max) or the
// PhysioNet annotations_{train,test}.csv (no class_id, rad_id optional).
// One row is one radiologist's label, with a box in original pixels unless
// the label is "No finding".
type vindrAnnotations struct {
	// size is the pixel size boxes of an image are drawn in.
	size func(id string) (Size, error)
}

func (vindrAnnotations) rules() sourceRules {
	return sourceRules{input: inputVinDr, corpus: cxrkit.SourceVinDr, labels: string(cxrkit.SourceVinDr), noFindingIsNormal: true, exhaustive: true}
}

func (v vindrAnnotations) read(ctx context.Context, path string, emit func(row) error) error {
	t, err := openCSV(path)
	if err != nil {
		return err
	}
	defer t.Close()
	idCol, classCol, radCol := t.col("image_id"), t.col("class_name"), t.col("rad_id")
	coordCols := [4]int{t.col("x_min"), t.col("y_min"), t.col("x_max"), t.col("y_max")}
	if idCol < 0 || classCol < 0 || coordCols[0] < 0 || coordCols[1] < 0 || coordCols[2] < 0 || coordCols[3] < 0 {
		return fmt.Errorf("%s:1: not a VinDr annotation CSV: want image_id, class_name, x_min, y_min, x_max, y_max columns; got %v", path, t.header)
	}
	need := max(idCol, classCol, coordCols[0], coordCols[1], coordCols[2], coordCols[3]) + 1
	// One row is alive at a time (until emit returns), so its label slice
	// and box locator are reused rather than allocated per row.
	cur := &vindrRow{v: v, cols: coordCols}
	locate, natives := cur.locate, make([]string, 1)
	return csvRows(ctx, t, need, emit, func(rec []string, _ int) row {
		cur.id, cur.rec = field(rec, idCol), rec
		natives[0] = field(rec, classCol)
		return row{id: cur.id, natives: natives, reader: field(rec, radCol), locate: locate}
	})
}

// vindrRow locates the box of the row being applied.
type vindrRow struct {
	v    vindrAnnotations
	cols [4]int
	id   string
	rec  []string
}

func (r *vindrRow) locate() (boxes.Box, bool, error) {
	b, err := r.v.box(r.id, r.rec, r.cols)
	return b, true, err
}

func (v vindrAnnotations) box(id string, rec []string, cols [4]int) (boxes.Box, error) {
	var c [4]float64
	for i, col := range cols {
		val, err := parseCoord(field(rec, col))
		if err != nil {
			return boxes.Box{}, err
		}
		c[i] = val
	}
	size, err := v.size(id)
	if err != nil {
		return boxes.Box{}, err
	}
	return boxes.FromPixels(c[0], c[1], c[2], c[3], size.Width, size.Height)
}

// vindrSize is the size VinDr boxes are drawn in: the meta CSV first (it
// describes the original DICOM), else the image file's header.
func (p *preparer) vindrSize(id string) (Size, error) {
	if s, ok := p.vindrMeta[id]; ok {
		return s, nil
	}
	s, found, err := p.vindrDir.size(id)
	if found && err == nil {
		return s, nil
	}
	if err != nil {
		return Size{}, fmt.Errorf("%w: %v", boxes.ErrNoImageSize, err)
	}
	return Size{}, boxes.ErrNoImageSize
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
