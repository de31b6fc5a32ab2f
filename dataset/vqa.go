package dataset

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/cxrkit/cxrkit/boxes"
	"github.com/cxrkit/cxrkit/labelmap"
)

// vqaRow is one VinDr-CXR-VQA question row; only the grounding fields are
// used.
type vqaRow struct {
	ImageID     string          `json:"image_id"`
	GTFinding   *string         `json:"gt_finding"`
	GTLocation  json.RawMessage `json:"gt_location"`
	ImageWidth  float64         `json:"image_width"`
	ImageHeight float64         `json:"image_height"`
}

// readVQA joins VinDr-CXR-VQA rows into the VinDr images: boxes are
// rescaled with the row's own size, and a (label, box) pair already present
// is not added twice.
func (p *preparer) readVQA(path string) error {
	st := p.stats(inputVQA, path)
	vindr := p.vocab.Source(SourceVinDr)
	return forEachArrayElement(path, func(raw json.RawMessage, line int) error {
		if err := p.ctx.Err(); err != nil {
			return err
		}
		st.RowsRead++
		var row vqaRow
		if err := json.Unmarshal(raw, &row); err != nil {
			return p.rejects.add(st, path, line, fmt.Errorf("%w: %v", errMalformedRow, err), raw)
		}
		id := strings.TrimSpace(row.ImageID)
		if id == "" {
			return p.rejects.add(st, path, line, errMissingID, raw)
		}
		native := ""
		if row.GTFinding != nil {
			native = strings.TrimSpace(*row.GTFinding)
		}
		if native == "" {
			st.countNative("(none)", labelmap.Dropped.String(), "")
			st.RowsDropped++
			return nil
		}
		label, status := vindr.Lookup(native)
		st.countNative(native, status.String(), string(label))
		if status != labelmap.Mapped {
			st.RowsDropped++
			if img := p.images.lookup(SourceVinDr, id); img != nil && status == labelmap.Unknown {
				img.unknownLabels++
			}
			return nil
		}
		img := p.images.lookup(SourceVinDr, id)
		if img == nil {
			return p.rejects.add(st, path, line, errNotInVinDr, raw)
		}
		if label == labelmap.NoFinding {
			img.normal = true
			st.RowsKept++
			return nil
		}
		loc, hasLoc, err := parseLocation(row.GTLocation)
		if err != nil {
			img.rejectedPositive++
			return p.rejects.add(st, path, line, err, raw)
		}
		if !hasLoc {
			if img.boxless[label.Index()] || len(img.readings[label.Index()]) > 0 {
				st.RowsDuplicate++
			}
			img.boxless[label.Index()] = true
			st.RowsKept++
			return nil
		}
		w, h := int(row.ImageWidth), int(row.ImageHeight)
		if w <= 0 || h <= 0 {
			if s, err := p.vindrSize(id); err == nil {
				w, h = s.Width, s.Height
			}
		}
		b, err := boxes.FromPixels(loc[0], loc[1], loc[2], loc[3], w, h)
		if err != nil {
			img.rejectedPositive++
			return p.rejects.add(st, path, line, err, raw)
		}
		st.RowsKept++
		if img.hasBox(label, b) {
			st.RowsDuplicate++
			return nil
		}
		img.addReading(label, b, "vqa")
		return nil
	})
}

// parseLocation reads gt_location: [x_min,y_min,x_max,y_max], null, "" or
// the same list written as a string.
func parseLocation(raw json.RawMessage) ([4]float64, bool, error) {
	var loc [4]float64
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" || string(raw) == `""` {
		return loc, false, nil
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return loc, false, fmt.Errorf("%w: %v", errBadBox, err)
		}
		raw = json.RawMessage(strings.Trim(strings.TrimSpace(s), "<>"))
		if !bytes.HasPrefix(raw, []byte("[")) {
			raw = append([]byte("["), append(raw, ']')...)
		}
	}
	var vals []*float64
	if err := json.Unmarshal(raw, &vals); err != nil || len(vals) != 4 {
		return loc, false, errBadBox
	}
	for i, v := range vals {
		if v == nil {
			return loc, false, errMissingCoord
		}
		loc[i] = *v
	}
	return loc, true, nil
}
