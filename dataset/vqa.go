package dataset

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/boxes"
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

// vqaPairs reads VinDr-CXR-VQA question rows into the VinDr images:
// boxes are rescaled with the row's own size, and a (label, box) pair
// already present is not added twice.
type vqaPairs struct {
	// size is the pixel size VinDr boxes of an image are drawn in.
	size func(id string) (Size, error)
}

func (vqaPairs) rules() sourceRules {
	return sourceRules{input: inputVQA, corpus: cxrkit.SourceVinDr, labels: string(cxrkit.SourceVinDr), noFindingIsNormal: true, joinOnly: true, once: true}
}

func (v vqaPairs) read(_ context.Context, path string, emit func(row) error) error {
	return forEachArrayElement(path, func(raw json.RawMessage, line int) error {
		var q vqaRow
		if err := json.Unmarshal(raw, &q); err != nil {
			return emit(row{line: line, raw: raw, reject: fmt.Errorf("%w: %v", errMalformedRow, err)})
		}
		r := row{line: line, raw: raw, id: strings.TrimSpace(q.ImageID), reader: "vqa"}
		if q.GTFinding != nil {
			if native := strings.TrimSpace(*q.GTFinding); native != "" {
				r.natives = []string{native}
			}
		}
		r.locate = func() (boxes.Box, bool, error) {
			loc, hasLoc, err := parseLocation(q.GTLocation)
			if err != nil || !hasLoc {
				return boxes.Box{}, false, err
			}
			w, h := int(q.ImageWidth), int(q.ImageHeight)
			if w <= 0 || h <= 0 {
				if s, err := v.size(r.id); err == nil {
					w, h = s.Width, s.Height
				}
			}
			b, err := boxes.FromPixels(loc[0], loc[1], loc[2], loc[3], w, h)
			return b, true, err
		}
		return emit(r)
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
