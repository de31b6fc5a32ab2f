package dataset

import (
	"errors"
	"fmt"
	"strconv"
)

// stringAt is row i of an id column: text, bytes or an integer; "" for a
// null.
func (b *leafBatch) stringAt(i int) string {
	if !b.valid(i) {
		return ""
	}
	switch b.leaf.kind {
	case leafBytes:
		return string(b.bin.Value(i))
	case leafInts:
		v, unsigned := b.intAt(i)
		if unsigned && v < 0 {
			return "" // over int64: no image id
		}
		return strconv.FormatInt(v, 10)
	}
	return ""
}

// typeName names the leaf's type for errors.
func (b *leafBatch) typeName() string {
	l := b.leaf
	name := l.col.PhysicalType().String()
	if lt := l.col.LogicalType(); lt != nil && !lt.IsNone() {
		name = lt.String()
	}
	if r := l.col.MaxRepetitionLevel(); r > 0 {
		name = fmt.Sprintf("%d-level list of %s", r, name)
	}
	return name
}

// gridAt reads row i of a grid column: a list of pixel rows (lists of
// integers), or PNG bytes (binary, or an HF Image struct's bytes).
func (b *leafBatch) gridAt(i int) (labelGrid, error) {
	l := b.leaf
	if l.col.MaxRepetitionLevel() == 0 {
		if !b.valid(i) {
			return labelGrid{}, errors.New("null label grid")
		}
		if l.kind == leafBytes {
			return pngGrid(b.bin.Value(i))
		}
		return labelGrid{}, fmt.Errorf("unsupported label grid type %s", b.typeName())
	}
	lo, hi, slot, err := b.rowLevels(i)
	if err != nil {
		return labelGrid{}, err
	}
	if b.def[lo] < l.topDef {
		return labelGrid{}, errors.New("null label grid")
	}
	if l.kind != leafInts || l.col.MaxRepetitionLevel() != 2 {
		return labelGrid{}, fmt.Errorf("unsupported label grid type %s", b.typeName())
	}
	return b.listGrid(lo, hi, slot)
}

// rowLevels finds the levels lo..hi of row i of a repeated leaf's batch
// and the slot of its first value.
func (b *leafBatch) rowLevels(i int) (lo, hi, slot int, err error) {
	if b.rowStart == nil {
		ancestor := b.leaf.info.RepeatedAncestorDefLevel
		s := 0
		for j, r := range b.rep {
			if r == 0 {
				b.rowStart = append(b.rowStart, j)
				b.slotStart = append(b.slotStart, s)
			}
			if b.def[j] >= ancestor {
				s++
			}
		}
		b.rowStart = append(b.rowStart, len(b.rep))
		if len(b.rowStart) != b.rows+1 || s != b.slots || len(b.def) != len(b.rep) {
			err := fmt.Errorf("%w: levels for %d rows in a batch of %d", errMalformedParquet, len(b.rowStart)-1, b.rows)
			b.rowStart, b.slotStart = nil, nil
			return 0, 0, 0, err
		}
	}
	return b.rowStart[i], b.rowStart[i+1], b.slotStart[i], nil
}

// listGrid reads a grid of pixel rows from levels lo..hi of a two-level
// list leaf, whose first value is slot. The declared size is bounded
// before the grid is allocated: a hostile grid may make only its first
// row wide.
func (b *leafBatch) listGrid(lo, hi, slot int) (labelGrid, error) {
	l := b.leaf
	row, val, valid := l.rowDef, l.info.RepeatedAncestorDefLevel, l.info.DefLevel
	var g labelGrid
	w := 0
	for j := lo; j < hi; j++ {
		if b.rep[j] <= 1 && b.def[j] >= row {
			g.h++
		}
		if g.h == 1 && b.def[j] >= val {
			w++
		}
	}
	g.w = w
	if g.h > 0 {
		if g.w > maxMaskPixels || g.h > maxMaskPixels || g.w*g.h > maxMaskPixels {
			return labelGrid{}, fmt.Errorf("label grid is %dx%d, want at most %d pixels", g.w, g.h, maxMaskPixels)
		}
		g.v = make([]uint8, 0, g.w*g.h)
	}
	r := -1
	for j := lo; j < hi; {
		if b.def[j] < row {
			j++ // an empty list: no rows
			continue
		}
		r++
		end, width := j+1, 0
		for end < hi && b.rep[end] == 2 {
			end++
		}
		for k := j; k < end; k++ {
			if b.def[k] >= val {
				width++
			}
		}
		if width != g.w {
			return labelGrid{}, fmt.Errorf("label grid row %d has %d pixels, want %d", r, width, g.w)
		}
		for k := j; k < end; k++ {
			if b.def[k] < val {
				continue // an empty or null row: no slot
			}
			s := slot
			slot++
			if b.def[k] < valid {
				return labelGrid{}, fmt.Errorf("label grid value (null) at row %d is not in 0..255", r)
			}
			v, _ := b.intAt(s)
			if v < 0 || v > 255 {
				return labelGrid{}, fmt.Errorf("label grid value %d at row %d is not in 0..255", v, r)
			}
			g.v = append(g.v, uint8(v))
		}
		j = end
	}
	if g.w == 0 || g.h == 0 {
		return labelGrid{}, errors.New("empty label grid")
	}
	return g, nil
}

// bytesAt reads row i of a binary column or of an HF Image struct's bytes.
func (b *leafBatch) bytesAt(i int) ([]byte, error) {
	if b.leaf.col.MaxRepetitionLevel() == 0 {
		if !b.valid(i) {
			return nil, errors.New("null image")
		}
		if b.leaf.kind == leafBytes {
			return b.bin.Value(i), nil
		}
	}
	return nil, fmt.Errorf("unsupported image column type %s", b.typeName())
}
