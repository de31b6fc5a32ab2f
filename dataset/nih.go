package dataset

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/boxes"
)

// nihPNGSize is the size of the released NIH ChestX-ray14 PNGs, in which
// BBox_List_2017.csv boxes are drawn.
const nihPNGSize = 1024

// nihPatient derives the NIH patient id from an image index
// ("00013118_008" → "00013118").
func nihPatient(id string) string {
	if i := strings.IndexByte(id, '_'); i > 0 {
		return id[:i]
	}
	return ""
}

// nihBoxList reads BBox_List_2017.csv: `Image Index,Finding Label,Bbox
// [x,y,w,h],,,` (a 9-field header over 6-field rows; both tolerated). The
// list never says an image is normal.
type nihBoxList struct {
	// size is the pixel size the boxes of an image are drawn in.
	size func(id string) (Size, error)
}

func (nihBoxList) rules() sourceRules {
	return sourceRules{input: inputNIH, corpus: cxrkit.SourceNIH, labels: string(cxrkit.SourceNIH), patientOf: nihPatient}
}

func (n nihBoxList) read(ctx context.Context, path string, emit func(row) error) error {
	t, err := openCSVInput(ctx, path)
	if err != nil {
		return err
	}
	defer t.Close()
	if t.col("image index") != 0 || t.col("finding label") != 1 {
		return fmt.Errorf("%s:1: not an NIH box list: want `Image Index,Finding Label,Bbox [x,y,w,h]`; got %v", path, t.header)
	}
	return csvRows(ctx, t, 6, emit, func(rec []string, _ int) row {
		id := stripImageExt(field(rec, 0))
		return row{id: id, natives: []string{field(rec, 1)}, reader: string(cxrkit.SourceNIH),
			locate: func() (boxes.Box, bool, error) {
				b, err := n.box(id, rec)
				return b, true, err
			}}
	})
}

func (n nihBoxList) box(id string, rec []string) (boxes.Box, error) {
	var c [4]float64
	for i := range c {
		v, err := parseCoord(field(rec, 2+i))
		if err != nil {
			return boxes.Box{}, err
		}
		c[i] = v
	}
	size, err := n.size(id)
	if err != nil {
		return boxes.Box{}, err
	}
	return boxes.FromPixelsXYWH(c[0], c[1], c[2], c[3], size.Width, size.Height)
}

// pngSize is the image's header size when the folder has it, else the
// source's documented size (no image folder, or the image not in it). An
// image that is there but whose size cannot be read (damaged header,
// over the byte budget) is an error, errSizeUnreadable: its boxes would
// otherwise be normalised by a guessed size, a claim nothing supports.
func pngSize(dir *imageDir, def int) func(id string) (Size, error) {
	return func(id string) (Size, error) {
		s, found, err := dir.size(id)
		switch {
		case !found:
			return Size{Width: def, Height: def}, nil
		case err != nil:
			return Size{}, fmt.Errorf("%w: %v", errSizeUnreadable, err)
		}
		return s, nil
	}
}

// nihDataEntry reads Data_Entry_2017.csv (or _v2020) or the Kaggle
// sample_labels.csv: one row per image with its `|`-separated image-level
// labels, patient, view and original size.
type nihDataEntry struct{}

func (nihDataEntry) rules() sourceRules {
	return sourceRules{input: inputNIH, corpus: cxrkit.SourceNIH, labels: string(cxrkit.SourceNIH), noFindingIsNormal: true, exhaustive: true, patientOf: nihPatient}
}

func (nihDataEntry) read(ctx context.Context, path string, emit func(row) error) error {
	t, err := openCSVInput(ctx, path)
	if err != nil {
		return err
	}
	defer t.Close()
	idCol, labelsCol := t.col("image index"), t.col("finding labels")
	if idCol < 0 || labelsCol < 0 {
		return fmt.Errorf("%s:1: not an NIH Data_Entry file: want `Image Index` and `Finding Labels` columns; got %v", path, t.header)
	}
	patientCol := t.col("patient id")
	wCol, hCol := t.col("originalimage[width", "originalimagewidth"), t.col("height]", "originalimageheight")
	return csvRows(ctx, t, max(idCol, labelsCol)+1, emit, func(rec []string, _ int) row {
		r := row{id: stripImageExt(field(rec, idCol)), patient: field(rec, patientCol)}
		r.orig.Width, _ = strconv.Atoi(field(rec, wCol))
		r.orig.Height, _ = strconv.Atoi(field(rec, hCol))
		for _, native := range strings.Split(field(rec, labelsCol), "|") {
			if native = strings.TrimSpace(native); native != "" {
				r.natives = append(r.natives, native)
			}
		}
		return r
	})
}
