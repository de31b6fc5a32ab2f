package dataset

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/cxrkit/cxrkit/boxes"
	"github.com/cxrkit/cxrkit/labelmap"
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

// readNIHBoxes streams BBox_List_2017.csv: `Image Index,Finding Label,Bbox
// [x,y,w,h],,,` (a 9-field header over 6-field rows; both tolerated).
func (p *preparer) readNIHBoxes(path string) error {
	t, err := openCSV(path)
	if err != nil {
		return err
	}
	defer t.Close()
	st := p.stats(inputNIH, path)
	if t.col("image index") != 0 || t.col("finding label") != 1 {
		return fmt.Errorf("%s:1: not an NIH box list: want `Image Index,Finding Label,Bbox [x,y,w,h]`; got %v", path, t.header)
	}
	nih := p.vocab.Source(SourceNIH)
	return p.eachRow(t, st, 6, func(rec []string, line int) (error, error) {
		id, native := stripImageExt(field(rec, 0)), field(rec, 1)
		if id == "" {
			return errMissingID, nil
		}
		img := p.nihImage(id)
		label, status := nih.Lookup(native)
		st.countNative(native, status.String(), string(label))
		if status == labelmap.Unknown {
			img.unknownLabels++
		}
		if status != labelmap.Mapped || label == labelmap.NoFinding {
			// A "No Finding" box is meaningless; the box list never says
			// an image is normal.
			st.RowsDropped++
			return nil, nil
		}
		b, err := p.nihBox(id, rec)
		if err != nil {
			img.rejectedPositive++
			return err, nil
		}
		img.addReading(label, b, SourceNIH)
		st.RowsKept++
		return nil, nil
	})
}

func (p *preparer) nihBox(id string, rec []string) (boxes.Box, error) {
	var c [4]float64
	for i := range c {
		v, err := parseCoord(field(rec, 2+i))
		if err != nil {
			return boxes.Box{}, err
		}
		c[i] = v
	}
	size := p.pngSize(p.nihDir, id, nihPNGSize)
	return boxes.FromPixelsXYWH(c[0], c[1], c[2], c[3], size.Width, size.Height)
}

// pngSize is the image's header size when the folder has it, else the
// source's documented default.
func (p *preparer) pngSize(dir *imageDir, id string, def int) Size {
	if s, found, err := dir.size(id); found && err == nil {
		return s
	}
	return Size{def, def}
}

func (p *preparer) nihImage(id string) *imageAcc {
	img := p.images.get(SourceNIH, id)
	if img.patient == "" {
		img.patient = nihPatient(id)
	}
	return img
}

// readNIHEntries streams Data_Entry_2017.csv or the Kaggle
// sample_labels.csv: image-level labels, patient, view and original size.
func (p *preparer) readNIHEntries(path string) error {
	t, err := openCSV(path)
	if err != nil {
		return err
	}
	defer t.Close()
	st := p.stats(inputNIH, path)
	idCol, labelsCol := t.col("image index"), t.col("finding labels")
	if idCol < 0 || labelsCol < 0 {
		return fmt.Errorf("%s:1: not an NIH Data_Entry file: want `Image Index` and `Finding Labels` columns; got %v", path, t.header)
	}
	patientCol, viewCol := t.col("patient id"), t.col("view position")
	wCol, hCol := t.col("originalimage[width", "originalimagewidth"), t.col("height]", "originalimageheight")
	nih := p.vocab.Source(SourceNIH)
	return p.eachRow(t, st, max(idCol, labelsCol)+1, func(rec []string, line int) (error, error) {
		id := stripImageExt(field(rec, idCol))
		if id == "" {
			return errMissingID, nil
		}
		img := p.nihImage(id)
		img.hasEntry = true
		if v := field(rec, viewCol); v != "" {
			img.view = v
		}
		if w, err := strconv.Atoi(field(rec, wCol)); err == nil {
			img.origW = w
		}
		if h, err := strconv.Atoi(field(rec, hCol)); err == nil {
			img.origH = h
		}
		if pid := field(rec, patientCol); pid != "" && img.patient == "" {
			img.patient = pid
		}
		mapped := false
		for _, native := range strings.Split(field(rec, labelsCol), "|") {
			native = strings.TrimSpace(native)
			if native == "" {
				continue
			}
			label, status := nih.Lookup(native)
			st.countNative(native, status.String(), string(label))
			if status != labelmap.Mapped {
				if status == labelmap.Unknown {
					img.unknownLabels++
				}
				continue
			}
			mapped = true
			if label == labelmap.NoFinding {
				img.normal = true
			} else {
				img.boxless[label.Index()] = true
			}
		}
		if mapped {
			st.RowsKept++
		} else {
			st.RowsDropped++
		}
		return nil, nil
	})
}
