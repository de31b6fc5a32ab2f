package dataset

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"slices"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/parquet/file"
	"github.com/apache/arrow/go/v17/parquet/pqarrow"
	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/boxes"
)

// chestXDetClasses are the ChestX-Det classes in alphabetical order: label
// id k in the parquet mirror's grid is chestXDetClass(k).
func chestXDetClass(id int) (string, bool) {
	names := [...]string{"Atelectasis", "Calcification", "Cardiomegaly", "Consolidation", "Diffuse Nodule",
		"Effusion", "Emphysema", "Fibrosis", "Fracture", "Mass", "Nodule", "Pleural Thickening", "Pneumothorax"}
	if id < 1 || id > len(names) {
		return "", false
	}
	return names[id-1], true
}

// gridBackground is the label grid's background value.
const gridBackground = 255

// labelGrid is one image's per-pixel class ids, row-major.
type labelGrid struct {
	w, h int
	v    []uint8
}

// chestXDetParquet reads a parquet mirror of ChestX-Det with Arrow: rows
// of an image id and an integer label grid (255 = background, 1..13 the
// classes in alphabetical order), either as a list of pixel rows or as a
// PNG label image. Each connected component (8-connected) of a class
// becomes one tight box, last pixel inclusive, and one row of the
// accounting; an all-background grid is one "no findings" row.
type chestXDetParquet struct{}

func (chestXDetParquet) rules() sourceRules { return chestXDetRules() }

func (chestXDetParquet) read(ctx context.Context, path string, emit func(row) error) error {
	pf, err := file.OpenParquetFile(path, false)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	defer pf.Close()
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: 64}, memory.DefaultAllocator)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	schema, err := fr.Schema()
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	idCol, gridCol := -1, -1
	for i, f := range schema.Fields() {
		switch strings.ToLower(f.Name) {
		case "image_id", "file_name", "image_name", "id":
			if idCol < 0 {
				idCol = i
			}
		case "label", "labels", "mask", "label_grid", "segmentation", "annotation":
			if gridCol < 0 {
				gridCol = i
			}
		}
	}
	if idCol < 0 || gridCol < 0 {
		return fmt.Errorf("%s: want an image_id column and a label grid column (label, mask, ...); schema %s", path, schema)
	}
	rr, err := fr.GetRecordReader(ctx, []int{idCol, gridCol}, nil)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	defer rr.Release()
	n := 0
	for {
		rec, err := rr.Read()
		if rec != nil {
			for i := 0; i < int(rec.NumRows()); i++ {
				n++
				if err := emitGridRows(n, rec.Column(0), rec.Column(1), i, emit); err != nil {
					return err
				}
			}
		}
		if errors.Is(err, io.EOF) || (err == nil && rec == nil) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: row %d: %w", path, n, err)
		}
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
	}
}

// emitGridRows emits the rows of parquet row n (1-based), element i of
// the batch: one per component of the label grid.
func emitGridRows(n int, ids, grids arrow.Array, i int, emit func(row) error) error {
	id := stripImageExt(stringAt(ids, i))
	info := map[string]any{"row": n, "image_id": id}
	if id == "" {
		return emit(row{line: n, raw: info})
	}
	grid, err := gridAt(grids, i)
	if err != nil {
		return emit(row{line: n, raw: info, id: id, reject: fmt.Errorf("%w: %v", errMalformedRow, err), rejectsPositive: true})
	}
	return emitGrid(n, id, info, grid, emit)
}

// emitGrid emits one row per component of an image's label grid, or one
// "no findings" row for an all-background grid.
func emitGrid(n int, id string, info any, grid labelGrid, emit func(row) error) error {
	comps, err := gridComponents(grid)
	if err != nil {
		return emit(row{line: n, raw: info, id: id, reject: err, rejectsPositive: true})
	}
	size := Size{grid.w, grid.h}
	if len(comps) == 0 {
		return emit(row{line: n, id: id, size: size, normalRecord: true})
	}
	for _, c := range comps {
		native, _ := chestXDetClass(c.class)
		r := row{line: n, raw: info, id: id, size: size, natives: []string{native}, reader: string(cxrkit.SourceChestXDet),
			locate: func() (boxes.Box, bool, error) {
				b, err := boxes.FromPixels(float64(c.x0), float64(c.y0), float64(c.x1+1), float64(c.y1+1), grid.w, grid.h)
				return b, true, err
			}}
		if err := emit(r); err != nil {
			return err
		}
	}
	return nil
}

func stringAt(a arrow.Array, i int) string {
	if a.IsNull(i) {
		return ""
	}
	switch s := a.(type) {
	case *array.String:
		return s.Value(i)
	case *array.LargeString:
		return s.Value(i)
	case *array.Binary:
		return string(s.Value(i))
	}
	return strings.Trim(a.ValueStr(i), `"`)
}

// gridAt reads row i of a grid column: list<list<int>> pixel rows, or PNG
// bytes (binary, or an HF Image struct with a bytes field).
func gridAt(a arrow.Array, i int) (labelGrid, error) {
	if a.IsNull(i) {
		return labelGrid{}, errors.New("null label grid")
	}
	switch g := a.(type) {
	case *array.List:
		return listGrid(g, i)
	case *array.LargeList:
		return listGrid(g, i)
	case *array.Binary:
		return pngGrid(g.Value(i))
	case *array.LargeBinary:
		return pngGrid(g.Value(i))
	case *array.Struct:
		st := g.DataType().(*arrow.StructType)
		if k, ok := st.FieldIdx("bytes"); ok {
			return gridAt(g.Field(k), i)
		}
	}
	return labelGrid{}, fmt.Errorf("unsupported label grid type %s", a.DataType())
}

type listArray interface {
	arrow.Array
	ValueOffsets(i int) (int64, int64)
	ListValues() arrow.Array
}

func listGrid(outer listArray, i int) (labelGrid, error) {
	start, end := outer.ValueOffsets(i)
	rows, ok := outer.ListValues().(listArray)
	if !ok {
		return labelGrid{}, fmt.Errorf("label grid rows are %s, want lists", outer.ListValues().DataType())
	}
	var g labelGrid
	g.h = int(end - start)
	for r := start; r < end; r++ {
		rs, re := rows.ValueOffsets(int(r))
		if r == start {
			g.w = int(re - rs)
			g.v = make([]uint8, 0, g.w*g.h)
		}
		if int(re-rs) != g.w {
			return labelGrid{}, fmt.Errorf("label grid row %d has %d pixels, want %d", r-start, re-rs, g.w)
		}
		vals := rows.ListValues()
		for k := rs; k < re; k++ {
			v, ok := intAt(vals, int(k))
			if !ok || v < 0 || v > 255 {
				return labelGrid{}, fmt.Errorf("label grid value %v at row %d is not in 0..255", vals.ValueStr(int(k)), r-start)
			}
			g.v = append(g.v, uint8(v))
		}
	}
	if g.w == 0 || g.h == 0 {
		return labelGrid{}, errors.New("empty label grid")
	}
	return g, nil
}

func intAt(a arrow.Array, i int) (int64, bool) {
	if a.IsNull(i) {
		return 0, false
	}
	switch v := a.(type) {
	case *array.Uint8:
		return int64(v.Value(i)), true
	case *array.Int8:
		return int64(v.Value(i)), true
	case *array.Uint16:
		return int64(v.Value(i)), true
	case *array.Int16:
		return int64(v.Value(i)), true
	case *array.Uint32:
		return int64(v.Value(i)), true
	case *array.Int32:
		return int64(v.Value(i)), true
	case *array.Uint64:
		return int64(v.Value(i)), true
	case *array.Int64:
		return v.Value(i), true
	}
	return 0, false
}

func pngGrid(data []byte) (labelGrid, error) {
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return labelGrid{}, fmt.Errorf("label image: %w", err)
	}
	b := img.Bounds()
	g := labelGrid{w: b.Dx(), h: b.Dy(), v: make([]uint8, 0, b.Dx()*b.Dy())}
	gray, isGray := img.(*image.Gray)
	pal, isPal := img.(*image.Paletted)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			switch {
			case isGray:
				g.v = append(g.v, gray.GrayAt(x, y).Y)
			case isPal:
				g.v = append(g.v, pal.ColorIndexAt(x, y))
			default:
				r, _, _, _ := img.At(x, y).RGBA()
				g.v = append(g.v, uint8(r>>8))
			}
		}
	}
	return g, nil
}

type component struct {
	class          int
	x0, y0, x1, y1 int // inclusive pixel bounds
}

// gridComponents finds the 8-connected components of every class, ordered
// by class then first pixel in row-major order. 0 and 255 are background.
func gridComponents(g labelGrid) ([]component, error) {
	seen := make([]bool, len(g.v))
	var out []component
	var stack []int
	for start, v := range g.v {
		if seen[start] || v == 0 || v == gridBackground {
			continue
		}
		if _, ok := chestXDetClass(int(v)); !ok {
			return nil, fmt.Errorf("%w: %d at pixel (%d,%d)", errUnknownClassID, v, start%g.w, start/g.w)
		}
		c := component{class: int(v), x0: g.w, y0: g.h, x1: -1, y1: -1}
		stack = append(stack[:0], start)
		seen[start] = true
		for len(stack) > 0 {
			k := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			x, y := k%g.w, k/g.w
			c.x0, c.y0, c.x1, c.y1 = min(c.x0, x), min(c.y0, y), max(c.x1, x), max(c.y1, y)
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					nx, ny := x+dx, y+dy
					if nx < 0 || ny < 0 || nx >= g.w || ny >= g.h {
						continue
					}
					n := ny*g.w + nx
					if !seen[n] && g.v[n] == v {
						seen[n] = true
						stack = append(stack, n)
					}
				}
			}
		}
		out = append(out, c)
	}
	sortComponents(out)
	return out, nil
}

func sortComponents(cs []component) {
	slices.SortStableFunc(cs, func(a, b component) int { return cmp.Compare(a.class, b.class) })
}
