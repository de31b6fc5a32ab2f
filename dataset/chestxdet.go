package dataset

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/cxrkit/cxrkit/boxes"
	"github.com/cxrkit/cxrkit/labelmap"
)

// chestXDetSize is the pixel space of ChestX-Det boxes unless the image
// file says otherwise.
const chestXDetSize = 1024

type chestXDetRecord struct {
	FileName string            `json:"file_name"`
	Syms     []string          `json:"syms"`
	Boxes    []json.RawMessage `json:"boxes"`
}

// readChestXDet streams ChestX_Det_{train,test}.json. Each (sym, box) pair
// is a row; a record with no syms is one row saying "no findings" (the
// dataset annotates all 13 of its classes).
func (p *preparer) readChestXDet(path string) error {
	st := p.stats(inputChestXDet, path)
	return forEachArrayElement(path, func(raw json.RawMessage, line int) error {
		if err := p.ctx.Err(); err != nil {
			return err
		}
		var rec chestXDetRecord
		if err := json.Unmarshal(raw, &rec); err != nil {
			st.RowsRead++
			return p.rejects.add(st, path, line, fmt.Errorf("%w: %v", errMalformedRow, err), compactRecord(raw))
		}
		id := stripImageExt(rec.FileName)
		rows := max(len(rec.Syms), len(rec.Boxes), 1)
		if id == "" || len(rec.Syms) != len(rec.Boxes) {
			reason := errMissingID
			if id != "" {
				reason = fmt.Errorf("%w: %d syms, %d boxes", errSymsBoxes, len(rec.Syms), len(rec.Boxes))
			}
			for range rows {
				st.RowsRead++
				if err := p.rejects.add(st, path, line, reason, compactRecord(raw)); err != nil {
					return err
				}
			}
			if id != "" {
				p.images.get(SourceChestXDet, id).rejectedPositive += rows
			}
			return nil
		}
		img := p.images.get(SourceChestXDet, id)
		if len(rec.Syms) == 0 {
			st.RowsRead++
			st.RowsKept++
			st.countNative("(no findings)", labelmap.Mapped.String(), string(labelmap.NoFinding))
			img.normal = true
			return nil
		}
		img.normal = true // exhaustive: absence of mapped positives means normal
		cxd := p.vocab.Source(SourceChestXDet)
		for i, native := range rec.Syms {
			st.RowsRead++
			native = strings.TrimSpace(native)
			label, status := cxd.Lookup(native)
			st.countNative(native, status.String(), string(label))
			if status != labelmap.Mapped || label == labelmap.NoFinding {
				if status == labelmap.Unknown {
					img.unknownLabels++
				}
				st.RowsDropped++
				continue
			}
			row := map[string]any{"file_name": rec.FileName, "sym": native, "box": rec.Boxes[i]}
			var c []float64
			if err := json.Unmarshal(rec.Boxes[i], &c); err != nil || len(c) != 4 {
				img.rejectedPositive++
				if err := p.rejects.add(st, path, line, errBadBox, row); err != nil {
					return err
				}
				continue
			}
			size := p.pngSize(p.chestXDetDir, id, chestXDetSize)
			b, err := boxes.FromPixels(c[0], c[1], c[2], c[3], size.Width, size.Height)
			if err != nil {
				img.rejectedPositive++
				if err := p.rejects.add(st, path, line, err, row); err != nil {
					return err
				}
				continue
			}
			img.addReading(label, b, SourceChestXDet)
			st.RowsKept++
		}
		return nil
	})
}

// compactRecord keeps a rejected JSON record without its polygons, which
// can be thousands of points.
func compactRecord(raw json.RawMessage) any {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		if len(raw) > 2000 {
			return string(raw[:2000]) + "..."
		}
		return string(raw)
	}
	delete(m, "polygons")
	return m
}
