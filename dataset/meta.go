package dataset

import (
	"context"
	"fmt"
	"strconv"

	"github.com/cxrkit/cxrkit/imaging"
)

// Size is an image size in pixels: imaging's, so a size read from an
// image header and one read from a metadata file are the same type.
type Size = imaging.Size

// ReadMeta reads an image-size CSV: `image_id,dim0,dim1` (dim0 = rows =
// height, dim1 = columns = width) or `image_id|id,width,height`. A
// malformed row is an error naming the file and line: a wrong size would
// silently misplace every box of that image.
func ReadMeta(path string, into map[string]Size) error {
	return withMetaTable(context.Background(), path, func(t *csvTable, idCol, wCol, hCol int) error {
		return readMetaRows(t, idCol, wCol, hCol, func(id []byte, s Size) { into[t.lines.cloneBytes(id)] = s })
	})
}

// readMeta reads a size file as ReadMeta does, giving each row's image id
// (a view, valid during the call) and size to put, in file order. The
// file is opened by openCSVInput: hashed as it is read when ctx carries
// its digest.
func readMeta(ctx context.Context, path string, put func(id []byte, s Size)) error {
	return withMetaTable(ctx, path, func(t *csvTable, idCol, wCol, hCol int) error {
		return readMetaRows(t, idCol, wCol, hCol, put)
	})
}

// readMetaRows reads the rows of a size file as views (string(b) in Atoi
// stays on the stack); put copies what it keeps of the id.
func readMetaRows(t *csvTable, idCol, wCol, hCol int, put func(id []byte, s Size)) error {
	return t.eachView(func(rec [][]byte, _ int) error {
		w, werr := strconv.Atoi(string(fieldView(rec, wCol)))
		h, herr := strconv.Atoi(string(fieldView(rec, hCol)))
		id := stripImageExtView(fieldView(rec, idCol))
		if len(id) == 0 || werr != nil || herr != nil || w <= 0 || h <= 0 {
			return fmt.Errorf("want an image id and positive integer width and height, got %q", rec)
		}
		put(id, Size{Width: w, Height: h})
		return nil
	})
}

// withMetaTable opens the size file at path and calls fn with its id,
// width and height columns.
func withMetaTable(ctx context.Context, path string, fn func(t *csvTable, idCol, wCol, hCol int) error) error {
	t, err := openCSVInput(ctx, path)
	if err != nil {
		return err
	}
	defer t.Close()
	idCol := t.col("image_id", "id", "image index", "image")
	wCol, hCol := t.col("dim1"), t.col("dim0")
	if wCol < 0 || hCol < 0 {
		wCol, hCol = t.col("width", "image_width"), t.col("height", "image_height")
	}
	if idCol < 0 || wCol < 0 || hCol < 0 {
		return fmt.Errorf("%s:1: want columns image_id,dim0,dim1 or image_id,width,height; got %v", path, t.header)
	}
	return fn(t, idCol, wCol, hCol)
}
