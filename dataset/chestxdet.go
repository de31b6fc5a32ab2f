package dataset

import (
	"bytes"
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

// read takes each element in one pass (recordScanner: validate, decode
// the three fields used, skip polygons), mostly in place in the read
// buffer, and falls back to encoding/json for any element that pass is
// not sure of, which then reads and reports it as before. Elements are
// borrowed: nothing of raw is kept uncopied.
func (c chestXDetJSON) read(ctx context.Context, path string, emit func(row) error) error {
	var sc recordScanner
	var rec chestXDetRecord
	cur := &chestXDetRow{c: c}
	decode := func(b []byte) (int, bool) { return sc.chestXDetRecord(b, &rec) }
	return readArrayElements(ctx, path, uncheckedBorrowed, decode, func(el jsonElement) error {
		taken := el.decoded
		if !taken && el.reject == nil {
			// Not taken in place (an element too long for the read
			// buffer, or refused): once more on the whole element.
			n, ok := decode(el.raw)
			taken = ok && n == len(el.raw)
		}
		if !taken {
			if err := el.check(path); err != nil {
				return err
			}
			var err error
			if rec, err = decodeChestXDetRecord(el); err != nil {
				return emit(row{line: el.line, raw: compactRecord(el.raw), reject: fmt.Errorf("%w: %v", errMalformedRow, err)})
			}
		}
		return cur.emitRecord(rec, el, emit)
	})
}

// decodeChestXDetRecord is the encoding/json reading of a checked element
// (the reference recordScanner is tested against).
func decodeChestXDetRecord(el jsonElement) (chestXDetRecord, error) {
	var rec chestXDetRecord
	if el.reject != nil {
		return rec, nil
	}
	err := json.Unmarshal(withoutMember(el.raw, "polygons"), &rec)
	return rec, err
}

// chestXDetRow is the row of a record being emitted: one per read, reused
// from row to row (one row is alive at a time, until emit returns), so a
// row costs no locator closure and no raw form unless it is rejected.
type chestXDetRow struct {
	c      chestXDetJSON
	id     string
	file   string
	sym    [1]string
	box    json.RawMessage
	locate func() (boxes.Box, bool, error) // r.boxOf, bound once
}

// emitRecord emits the rows of one record: a reject for an unreadable
// element, one row per (sym, box) pair, or one "no findings" row.
func (r *chestXDetRow) emitRecord(rec chestXDetRecord, el jsonElement, emit func(row) error) error {
	raw, line := el.raw, el.line
	if el.reject != nil {
		return emit(row{line: line, raw: string(raw), reject: el.reject})
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
	if r.locate == nil {
		r.locate = r.boxOf
	}
	r.id, r.file = id, rec.FileName
	for i, native := range rec.Syms {
		r.sym[0], r.box = strings.TrimSpace(native), rec.Boxes[i]
		if err := emit(row{line: line, id: id, natives: r.sym[:], reader: string(cxrkit.SourceChestXDet), raw: r, locate: r.locate}); err != nil {
			return err
		}
	}
	return nil
}

// boxOf is the box of the row being emitted.
func (r *chestXDetRow) boxOf() (boxes.Box, bool, error) {
	v, ok := fourNumbers(r.box)
	if !ok {
		return boxes.Box{}, false, errBadBox
	}
	size, err := r.c.size(r.id)
	if err != nil {
		return boxes.Box{}, false, err
	}
	b, err := boxes.FromPixels(v[0], v[1], v[2], v[3], size.Width, size.Height)
	return b, true, err
}

// rawForm is the row being emitted as rejects.jsonl shows it.
func (r *chestXDetRow) rawForm() any {
	return chestXDetRowRaw{Box: r.box, FileName: r.file, Sym: r.sym[0]}
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
// without reflection or copies: there is one per ChestX-Det finding.
func fourNumbers(raw json.RawMessage) ([4]float64, bool) {
	var v [4]float64
	b := raw
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '[' {
		return v, false
	}
	i++
	for k := range v {
		i = skipSpace(b, i)
		if k > 0 {
			if i >= len(b) || b[i] != ',' {
				return v, false
			}
			i = skipSpace(b, i+1)
		}
		if bytes.HasPrefix(b[i:], []byte("null")) {
			i += 4 // null reads as 0
			continue
		}
		end := numberEnd(b, i)
		if end < 0 {
			return v, false
		}
		f, err := strconv.ParseFloat(string(b[i:end]), 64)
		if err != nil {
			return v, false
		}
		v[k], i = f, end
	}
	i = skipSpace(b, i)
	if i >= len(b) || b[i] != ']' {
		return v, false
	}
	return v, skipSpace(b, i+1) == len(b)
}
