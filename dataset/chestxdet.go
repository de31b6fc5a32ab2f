package dataset

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/boxes"
)

// chestXDetSize is the pixel space of ChestX-Det boxes unless the image
// file says otherwise.
const chestXDetSize = 1024

// chestXDetRules are shared by every ChestX-Det layout: the dataset
// annotates all 13 of its classes on every image.
func chestXDetRules() sourceRules {
	return sourceRules{input: inputChestXDet, corpus: cxrkit.SourceChestXDet, labels: string(cxrkit.SourceChestXDet), exhaustive: true}
}

// chestXDet reads ChestX-Det in any of its published layouts: the original
// ChestX_Det_{train,test}.json, or the parquet mirror.
type chestXDet struct {
	size func(id string) (Size, error)
}

func (chestXDet) rules() sourceRules { return chestXDetRules() }

func (c chestXDet) read(ctx context.Context, path string, emit func(row) error) error {
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	if info.IsDir() {
		return readChestXDetMirror(ctx, path, emit)
	}
	if strings.EqualFold(filepath.Ext(path), ".parquet") {
		pq, err := shardOf(path)
		if err != nil {
			return err
		}
		return pq.read(ctx, path, emit)
	}
	return chestXDetJSON(c).read(ctx, path, emit)
}

// chestXDetJSON reads ChestX_Det_{train,test}.json. Each (sym, box) pair
// is a row; a record with no syms is one row saying "no findings".
type chestXDetJSON struct {
	size func(id string) (Size, error)
}

type chestXDetRecord struct {
	FileName string            `json:"file_name"`
	Syms     []string          `json:"syms"`
	Boxes    []json.RawMessage `json:"boxes"`
}

func (chestXDetJSON) rules() sourceRules { return chestXDetRules() }

func (c chestXDetJSON) read(ctx context.Context, path string, emit func(row) error) error {
	return forEachArrayElement(ctx, path, func(el jsonElement) error {
		raw, line := el.raw, el.line
		if el.reject != nil {
			return emit(row{line: line, raw: string(raw), reject: el.reject})
		}
		var rec chestXDetRecord
		if err := json.Unmarshal(withoutMember(raw, "polygons"), &rec); err != nil {
			return emit(row{line: line, raw: compactRecord(raw), reject: fmt.Errorf("%w: %v", errMalformedRow, err)})
		}
		id := stripImageExt(rec.FileName)
		if id == "" || len(rec.Syms) != len(rec.Boxes) {
			reason := errMissingID
			if id != "" {
				reason = fmt.Errorf("%w: %d syms, %d boxes", errSymsBoxes, len(rec.Syms), len(rec.Boxes))
			}
			compact := compactRecord(raw)
			for range max(len(rec.Syms), len(rec.Boxes), 1) {
				if err := emit(row{line: line, raw: compact, id: id, reject: reason, rejectsPositive: true}); err != nil {
					return err
				}
			}
			return nil
		}
		if len(rec.Syms) == 0 {
			return emit(row{line: line, id: id, normalRecord: true})
		}
		for i, native := range rec.Syms {
			native = strings.TrimSpace(native)
			box := rec.Boxes[i]
			r := row{line: line, id: id, natives: []string{native}, reader: string(cxrkit.SourceChestXDet),
				raw: chestXDetRowRaw{Box: box, FileName: rec.FileName, Sym: native},
				locate: func() (boxes.Box, bool, error) {
					v, ok := fourNumbers(box)
					if !ok {
						return boxes.Box{}, false, errBadBox
					}
					size, err := c.size(id)
					if err != nil {
						return boxes.Box{}, false, err
					}
					b, err := boxes.FromPixels(v[0], v[1], v[2], v[3], size.Width, size.Height)
					return b, true, err
				}}
			if err := emit(r); err != nil {
				return err
			}
		}
		return nil
	})
}

// chestXDetRowRaw is one (sym, box) row as rejects.jsonl shows it; its
// fields are in key order, as a map of them would be written.
type chestXDetRowRaw struct {
	Box      json.RawMessage `json:"box"`
	FileName string          `json:"file_name"`
	Sym      string          `json:"sym"`
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

// fourNumbers reads a box, a valid JSON value, as a JSON array of exactly
// four numbers, as decoding it into []float64 would (null reads as 0),
// without reflection: there is one per ChestX-Det finding.
func fourNumbers(raw json.RawMessage) ([4]float64, bool) {
	var v [4]float64
	s := strings.TrimSpace(string(raw))
	if len(s) < 2 || s[0] != '[' || s[len(s)-1] != ']' {
		return v, false
	}
	s = s[1 : len(s)-1]
	for i := range v {
		item, rest, more := strings.Cut(s, ",")
		if more == (i == 3) {
			return v, false
		}
		item = strings.TrimSpace(item)
		if item == "null" {
			v[i] = 0
		} else {
			f, err := strconv.ParseFloat(item, 64)
			if err != nil || !isJSONNumber(item) {
				return v, false
			}
			v[i] = f
		}
		s = rest
	}
	return v, true
}

// isJSONNumber reports whether s is a number in JSON's grammar (which
// strconv.ParseFloat is wider than: "inf", "0x1p3", "+1", "1_0").
func isJSONNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			n++
		}
		return n
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case digits() == 0:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}
