package dataset

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/boxes"
)

// vqaPairs reads VinDr-CXR-VQA into VinDr images. Two layouts are read:
//
//   - nested, as published: an array of {"image_id", "num_questions",
//     <list of QA objects>}, where each QA object has question, answer,
//     reason, type, difficulty, gt_finding and gt_location. The list's key
//     is not documented: it is the one field whose value is an array of
//     objects.
//   - flat: an array of QA rows each carrying image_id (and optionally
//     image_width, image_height).
//
// Every QA pair is one row. A pair asserts a finding only with a box and a
// mapped label: most pairs are negative answers without a box, and a "No"
// never makes an image normal. gt_location is in original pixels, so the
// image size comes from the row, --vindr-meta or the VinDr rows. A (label,
// box) pair already present is counted as a duplicate, not added twice.
type vqaPairs struct {
	// size is the pixel size VinDr boxes of an image are drawn in.
	size func(id string) (Size, error)
}

func (vqaPairs) rules() sourceRules {
	return sourceRules{input: inputVQA, corpus: cxrkit.SourceVinDr, labels: string(cxrkit.SourceVinDr), boxOnly: true, once: true}
}

// vqaQA is one question as both layouts write it; image fields are set
// only in the flat layout.
type vqaQA struct {
	ImageID     string          `json:"image_id"`
	GTFinding   *string         `json:"gt_finding"`
	GTLocation  json.RawMessage `json:"gt_location"`
	ImageWidth  float64         `json:"image_width"`
	ImageHeight float64         `json:"image_height"`
}

// errNotVQA names the layouts a VQA file may have.
var errNotVQA = errors.New(`not VinDr-CXR-VQA: want a JSON array of {"image_id", "num_questions", [QA objects with gt_finding, gt_location]} (nested) or of QA rows with image_id, gt_finding, gt_location (flat)`)

func (v vqaPairs) read(ctx context.Context, path string, emit func(row) error) error {
	first := true
	return readArrayElements(ctx, path, uncheckedCopy, nil, func(el jsonElement) error {
		// encoding/json validates as it decodes: the element is checked
		// on its own (syntax, then UTF-8, as forEachArrayElement does) only
		// when decoding fails; when it succeeds only UTF-8 is left.
		var fields map[string]json.RawMessage
		var decodeErr error
		if el.reject == nil {
			if decodeErr = json.Unmarshal(el.raw, &fields); decodeErr != nil {
				if err := el.check(path); err != nil {
					return err
				}
			} else if !utf8.Valid(el.raw) {
				el.reject = errNotUTF8()
			}
		}
		raw, line := el.raw, el.line
		if el.reject != nil {
			// An unreadable element does not decide the layout.
			return emit(row{line: line, raw: string(raw), reject: el.reject})
		}
		if err := decodeErr; err != nil {
			if first {
				return fmt.Errorf("%s:%d: %w", path, line, errNotVQA)
			}
			return emit(row{line: line, raw: raw, reject: fmt.Errorf("%w: %v", errMalformedRow, err)})
		}
		key, list, nested := qaList(fields)
		_, flatFinding := fields["gt_finding"]
		_, flatLoc := fields["gt_location"]
		if first && !nested && !flatFinding && !flatLoc {
			return fmt.Errorf("%s:%d: %w", path, line, errNotVQA)
		}
		first = false
		if !nested {
			return v.emitQA(raw, line, "", nil, emit)
		}
		id := jsonString(fields["image_id"])
		// Lines are counted from one pair to the next, so that a record of
		// many pairs costs its length once, not once per pair.
		base, at := offsetIn(raw, list), 0
		qaLine := line + bytes.Count(raw[:base], []byte("\n"))
		return eachObject(list, func(qa json.RawMessage, offset int) error {
			qaLine += bytes.Count(raw[base+at:base+offset], []byte("\n"))
			at = offset
			ctx := map[string]any{"image_id": id, key: qa}
			return v.emitQA(qa, qaLine, id, ctx, emit)
		})
	})
}

// emitQA emits one QA pair; a nested pair takes the image id of its
// record and is kept in rejects with it (ctx).
func (v vqaPairs) emitQA(raw json.RawMessage, line int, id string, ctx any, emit func(row) error) error {
	if ctx == nil {
		ctx = raw
	}
	var q vqaQA
	if err := json.Unmarshal(raw, &q); err != nil {
		return emit(row{line: line, raw: ctx, reject: fmt.Errorf("%w: %v", errMalformedRow, err)})
	}
	if id == "" {
		id = strings.TrimSpace(q.ImageID)
	}
	r := row{line: line, raw: ctx, id: id, reader: "vqa"}
	if q.ImageWidth > 0 && q.ImageHeight > 0 {
		r.orig = Size{Width: int(q.ImageWidth), Height: int(q.ImageHeight)}
	}
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
		size := Size{Width: int(q.ImageWidth), Height: int(q.ImageHeight)}
		if size.Width <= 0 || size.Height <= 0 {
			if size, err = v.size(id); err != nil {
				return boxes.Box{}, false, err
			}
		}
		b, err := boxes.FromPixels(loc[0], loc[1], loc[2], loc[3], size.Width, size.Height)
		return b, true, err
	}
	return emit(r)
}

// qaList finds the nested layout's QA list: the one field whose value is
// an array of objects (an empty array counts when no other field
// qualifies and the element is no flat QA row). nested is false when no field, or more than one, qualifies.
func qaList(fields map[string]json.RawMessage) (key string, list json.RawMessage, nested bool) {
	_, flatFinding := fields["gt_finding"]
	_, flatLoc := fields["gt_location"]
	var empty []string
	found := 0
	for k, v := range fields {
		v = bytes.TrimSpace(v)
		if len(v) < 2 || v[0] != '[' {
			continue
		}
		inner := bytes.TrimSpace(v[1:])
		switch {
		case len(inner) > 0 && inner[0] == '{':
			key, list = k, v
			found++
		case len(inner) > 0 && inner[0] == ']':
			empty = append(empty, k)
		}
	}
	if found == 0 && len(empty) == 1 && !flatFinding && !flatLoc {
		return empty[0], fields[empty[0]], true
	}
	return key, list, found == 1
}

// eachObject calls fn for every element of a JSON array with its byte
// offset in the array.
func eachObject(list json.RawMessage, fn func(raw json.RawMessage, offset int) error) error {
	dec := json.NewDecoder(bytes.NewReader(list))
	if _, err := dec.Token(); err != nil {
		return err
	}
	for dec.More() {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return err
		}
		off := int(dec.InputOffset()) - len(raw)
		if err := fn(raw, off); err != nil {
			return err
		}
	}
	return nil
}

// offsetIn is the offset of sub (a copy of part of raw) in raw, or 0.
func offsetIn(raw, sub []byte) int {
	if i := bytes.Index(raw, sub); i >= 0 {
		return i
	}
	return 0
}

func jsonString(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return strings.TrimSpace(s)
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}

// parseLocation reads gt_location: "<loc_x1_y1_x2_y2>" as published,
// [x_min,y_min,x_max,y_max], null, "" or the list written as a string.
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
		s = strings.TrimSpace(s)
		if s == "" {
			return loc, false, nil
		}
		if inner, ok := strings.CutPrefix(s, "<loc_"); ok {
			inner, ok = strings.CutSuffix(inner, ">")
			parts := strings.Split(inner, "_")
			if !ok || len(parts) != 4 {
				return loc, false, fmt.Errorf("%w: %q, want <loc_x1_y1_x2_y2>", errBadBox, s)
			}
			for i, p := range parts {
				v, err := strconv.ParseFloat(p, 64)
				if err != nil {
					return loc, false, fmt.Errorf("%w: %q, want <loc_x1_y1_x2_y2>", errBadBox, s)
				}
				loc[i] = v
			}
			return loc, true, nil
		}
		raw = json.RawMessage(strings.Trim(s, "<>"))
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
