package dataset

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"image"
	"maps"
	"slices"
	"strings"

	"github.com/apache/arrow/go/v17/parquet"
	"github.com/apache/arrow/go/v17/parquet/schema"
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

// chestXDetParquet reads one parquet file of ChestX-Det with Arrow's
// column reader, in
// either of two layouts:
//
//   - the Hugging Face mirror natealberti/ChestX-Det: HF Image structs
//     {bytes, path} in columns image, label (a 16-bit PNG of class ids,
//     255 = background, a stray 0 is background too) and mask (an RGB PNG,
//     one colour per annotated instance, black background). There is no
//     id column: rows are named <split>-<index>, the index counting rows
//     across the split's shards in shard order from 0. One box per mask
//     instance, its class the majority class id of label under it;
//     without mask, one box per 8-connected component of each class.
//   - an image_id column beside a label grid (list of pixel rows, or PNG
//     bytes): one box per 8-connected component of each class.
//
// Each box is one row of the accounting; an image without any is one "no
// findings" row. Reject lines are 1-based row numbers within the file.
type chestXDetParquet struct {
	split  string // row-name prefix of the HF layout
	offset int    // split index of the file's first row
	class  func(id int) (string, bool)
	// bufferLimit bounds each buffer Arrow allocates; 0 means
	// maxParquetBuffer.
	bufferLimit int
}

func (chestXDetParquet) rules() sourceRules { return chestXDetRules() }

// errNotChestXDetParquet names the parquet layouts read.
var errNotChestXDetParquet = errors.New("not a ChestX-Det parquet file: want the Hugging Face mirror's HF Image columns label and/or mask ({bytes, path}), or an image_id column beside a label grid column")

func (c chestXDetParquet) read(ctx context.Context, path string, emit func(row) error) error {
	limit := c.bufferLimit
	if limit == 0 {
		limit = maxParquetBuffer
	}
	pf, mem, err := openParquet(path, limit, false)
	if err != nil {
		return err
	}
	defer pf.Close()
	sc := pf.MetaData().Schema
	cols, _ := topColumns(sc)
	pick := func(names ...string) (string, bool) {
		for _, n := range names {
			if _, ok := cols[n]; ok {
				return n, true
			}
		}
		return "", false
	}
	idName, hasID := pick("image_id", "file_name", "image_name", "id")
	labelName, hasLabel := pick("label", "labels", "label_grid", "segmentation", "annotation")
	_, hasMask := cols["mask"]
	if !hasMask && !hasLabel || hasID && !hasLabel {
		return fmt.Errorf("%s: %w; schema has %v", path, errNotChestXDetParquet, slices.Sorted(maps.Keys(cols)))
	}
	var want []string
	for _, n := range []string{idName, labelName} {
		if n != "" {
			want = append(want, n)
		}
	}
	if hasMask && !hasID {
		want = append(want, "mask")
	}
	// Image columns (HF Image structs or plain binary) are read through
	// their bytes leaf; any other column must hold no struct, and is read
	// through its one leaf (a grid of lists, an integer id).
	leafOf := map[string]int{}
	for _, n := range want {
		if leaf, ok := bytesLeaf(sc, cols[n]); ok {
			leafOf[n] = leaf
		}
	}
	if len(leafOf) != len(want) {
		for _, n := range want {
			if hasStruct(sc, cols[n]) {
				return fmt.Errorf("%s: column %s is %s: %w", path, n, describeNode(cols[n]), errNotChestXDetParquet)
			}
			leafOf[n] = leavesOf(sc, cols[n])[0]
		}
	}
	leaves := make([]*parquetLeaf, 0, len(want))
	batch := int64(hfBatchRows)
	for _, n := range want {
		l, err := newLeaf(path, pf, mem, n, leafOf[n])
		if err == nil && n == idName && (l.kind == leafOther || l.col.MaxRepetitionLevel() > 0) {
			l.rr.Release()
			err = fmt.Errorf("%s: column %s is %s, want text or integers: %w", path, n, describeNode(cols[n]), errNotChestXDetParquet)
		}
		if err != nil {
			for _, l := range leaves {
				l.rr.Release()
			}
			return err
		}
		if l.col.MaxRepetitionLevel() > 0 {
			batch = 1 // a grid of lists is a megapixel of levels a row
		}
		leaves = append(leaves, l)
	}
	if !hasID {
		idName = ""
	}
	n := 0
	return readLeaves(ctx, path, pf, leaves, batch, func(bs []*leafBatch) error {
		column := func(name string) *leafBatch {
			for i, n := range want {
				if name != "" && n == name {
					return bs[i]
				}
			}
			return nil
		}
		ids, labels, masks := column(idName), column(labelName), column("mask")
		for i := range bs[0].rows {
			n++
			if err := c.emitRow(n, ids, labels, masks, i, emit); err != nil {
				return err
			}
		}
		return nil
	})
}

// bytesLeaf is the leaf holding an image column's PNG bytes: the bytes
// child of an HF Image struct, or the column itself when it is a plain
// byte array (binary or text); ok is false for anything else.
func bytesLeaf(sc *schema.Schema, top schema.Node) (leaf int, ok bool) {
	plain := func(n schema.Node, text bool) bool {
		if n.Type() != schema.Primitive || n.RepetitionType() == parquet.Repetitions.Repeated {
			return false
		}
		p, isPrim := n.(*schema.PrimitiveNode)
		if !isPrim || p.PhysicalType() != parquet.Types.ByteArray {
			return false
		}
		if lt := n.LogicalType(); lt == nil || lt.IsNone() {
			return n.ConvertedType() == schema.ConvertedTypes.None || text && isText(n)
		}
		return text && isText(n)
	}
	if plain(top, true) {
		return sc.ColumnIndexByNode(top), true
	}
	g, isGroup := top.(*schema.GroupNode)
	if !isGroup || isList(top) || top.RepetitionType() == parquet.Repetitions.Repeated {
		return 0, false
	}
	for i := range g.NumFields() {
		if ch := g.Field(i); ch.Name() == "bytes" && plain(ch, false) {
			return sc.ColumnIndexByNode(ch), true
		}
	}
	return 0, false
}

// describeNode names a column's type for errors, the way Arrow would:
// struct<a, b>, list<...>, or a leaf's logical or physical type.
func describeNode(n schema.Node) string {
	g, ok := n.(*schema.GroupNode)
	if !ok {
		if lt := n.LogicalType(); lt != nil && !lt.IsNone() {
			return lt.String()
		}
		return n.(*schema.PrimitiveNode).PhysicalType().String()
	}
	var fields []string
	for i := range g.NumFields() {
		fields = append(fields, g.Field(i).Name())
	}
	kind := "struct"
	if isList(n) {
		kind = "list"
	}
	return kind + "<" + strings.Join(fields, ", ") + ">"
}

// emitRow emits the rows of parquet row n (1-based), row i of the
// batches. ids is nil in the HF layout, where the row is named by
// position.
func (c chestXDetParquet) emitRow(n int, ids, labels, masks *leafBatch, i int, emit func(row) error) error {
	var id string
	if ids != nil {
		id = stripImageExt(ids.stringAt(i))
	} else {
		id = fmt.Sprintf("%s-%d", c.split, c.offset+n-1)
	}
	info := map[string]any{"row": n, "image_id": id}
	if id == "" {
		return emit(row{line: n, raw: info})
	}
	reject := func(err error) error {
		return emit(row{line: n, raw: info, id: id, reject: fmt.Errorf("%w: %v", errMalformedRow, err), rejectsPositive: true})
	}
	var grid labelGrid
	if labels != nil {
		g, err := labels.gridAt(i)
		if err != nil {
			return reject(err)
		}
		grid = g
	}
	if masks == nil {
		return emitGrid(n, id, info, grid, c.class, emit)
	}
	data, err := masks.bytesAt(i)
	if err != nil {
		return reject(fmt.Errorf("mask: %w", err))
	}
	insts, size, err := maskInstances(data, grid, c.class)
	if err != nil {
		return emit(row{line: n, raw: info, id: id, reject: err, rejectsPositive: true})
	}
	if len(insts) == 0 {
		return emit(row{line: n, id: id, size: size, normalRecord: true})
	}
	for _, in := range insts {
		native, _ := c.class(in.class)
		r := row{line: n, raw: info, id: id, size: size, natives: []string{native}, reader: string(cxrkit.SourceChestXDet),
			locate: func() (boxes.Box, bool, error) {
				b, err := boxes.FromPixels(float64(in.x0), float64(in.y0), float64(in.x1+1), float64(in.y1+1), size.Width, size.Height)
				return b, true, err
			}}
		if err := emit(r); err != nil {
			return err
		}
	}
	return nil
}

// emitGrid emits one row per component of an image's label grid, or one
// "no findings" row for an all-background grid.
func emitGrid(n int, id string, info any, grid labelGrid, class func(int) (string, bool), emit func(row) error) error {
	comps, err := gridComponents(grid, class)
	if err != nil {
		return emit(row{line: n, raw: info, id: id, reject: err, rejectsPositive: true})
	}
	size := Size{Width: grid.w, Height: grid.h}
	if len(comps) == 0 {
		return emit(row{line: n, id: id, size: size, normalRecord: true})
	}
	for _, c := range comps {
		native, _ := class(c.class)
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

// maxMaskPixels bounds a decoded label or mask image (ChestX-Det's are
// 1024x1024).
const maxMaskPixels = 8192 * 8192

// decodeBounded decodes a PNG (or any registered format) after checking
// its declared size.
func decodeBounded(data []byte, what string) (image.Image, error) {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%s image: %w", what, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width*cfg.Height > maxMaskPixels {
		return nil, fmt.Errorf("%s image is %dx%d, want at most %d pixels", what, cfg.Width, cfg.Height, maxMaskPixels)
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%s image: %w", what, err)
	}
	return img, nil
}

// pngGrid reads a label image: 8-bit grey, palette indices, or 16-bit
// grey as the HF mirror writes it, whose samples are the class ids
// themselves (scaling them to 8 bits would turn every id into 0).
func pngGrid(data []byte) (labelGrid, error) {
	img, err := decodeBounded(data, "label")
	if err != nil {
		return labelGrid{}, err
	}
	b := img.Bounds()
	g := labelGrid{w: b.Dx(), h: b.Dy(), v: make([]uint8, 0, b.Dx()*b.Dy())}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			var v uint32
			switch m := img.(type) {
			case *image.Gray:
				v = uint32(m.GrayAt(x, y).Y)
			case *image.Gray16:
				v = uint32(m.Gray16At(x, y).Y)
			case *image.Paletted:
				v = uint32(m.ColorIndexAt(x, y))
			default:
				return labelGrid{}, fmt.Errorf("label image is %T, want 8- or 16-bit grey or palette indices", img)
			}
			if v > 255 {
				return labelGrid{}, fmt.Errorf("%w: %d at pixel (%d,%d)", errUnknownClassID, v, x-b.Min.X, y-b.Min.Y)
			}
			g.v = append(g.v, uint8(v))
		}
	}
	return g, nil
}

// instance is one coloured region of an instance mask.
type instance struct {
	component
	votes map[int]int // label-grid class id → pixels
}

// maskInstances finds the instances of an RGB mask (one colour each,
// black background), in order of their first pixel, each with the
// majority class id of grid under it (the lower id on a tie). An instance
// with no class pixel under it is an error: its class is unknowable.
func maskInstances(data []byte, grid labelGrid, class func(int) (string, bool)) ([]component, Size, error) {
	img, err := decodeBounded(data, "mask")
	if err != nil {
		return nil, Size{}, fmt.Errorf("%w: %v", errMalformedRow, err)
	}
	b := img.Bounds()
	size := Size{Width: b.Dx(), Height: b.Dy()}
	if grid.w != size.Width || grid.h != size.Height {
		return nil, size, fmt.Errorf("%w: mask is %dx%d, label %dx%d", errMalformedRow, size.Width, size.Height, grid.w, grid.h)
	}
	byColour := map[uint32]*instance{}
	var order []*instance
	for y := 0; y < size.Height; y++ {
		for x := 0; x < size.Width; x++ {
			r, g, bl, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
			key := (r>>8)<<16 | (g>>8)<<8 | bl>>8
			if key == 0 {
				continue
			}
			in := byColour[key]
			if in == nil {
				in = &instance{component: component{x0: x, y0: y, x1: x, y1: y}, votes: map[int]int{}}
				byColour[key] = in
				order = append(order, in)
			}
			in.x0, in.y0, in.x1, in.y1 = min(in.x0, x), min(in.y0, y), max(in.x1, x), max(in.y1, y)
			if v := int(grid.v[y*grid.w+x]); v != 0 && v != gridBackground {
				in.votes[v]++
			}
		}
	}
	out := make([]component, 0, len(order))
	for _, in := range order {
		best, n := 0, 0
		for _, id := range slices.Sorted(maps.Keys(in.votes)) {
			if in.votes[id] > n {
				best, n = id, in.votes[id]
			}
		}
		if n == 0 {
			return nil, size, fmt.Errorf("%w: mask instance at (%d,%d)-(%d,%d) has no class under it", errUnknownClassID, in.x0, in.y0, in.x1, in.y1)
		}
		if _, ok := class(best); !ok {
			return nil, size, fmt.Errorf("%w: %d under the mask instance at (%d,%d)", errUnknownClassID, best, in.x0, in.y0)
		}
		in.class = best
		out = append(out, in.component)
	}
	return out, size, nil
}

type component struct {
	class          int
	x0, y0, x1, y1 int // inclusive pixel bounds
}

// gridComponents finds the 8-connected components of every class, ordered
// by class then first pixel in row-major order. 0 and 255 are background.
func gridComponents(g labelGrid, class func(int) (string, bool)) ([]component, error) {
	seen := make([]bool, len(g.v))
	var out []component
	var stack []int
	for start, v := range g.v {
		if seen[start] || v == 0 || v == gridBackground {
			continue
		}
		if _, ok := class(int(v)); !ok {
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
