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
	return readMeta(context.Background(), path, into)
}

// readMeta is ReadMeta with the file opened by openCSVInput: hashed as it
// is read when ctx carries its digest.
func readMeta(ctx context.Context, path string, into map[string]Size) error {
	return withMetaTable(ctx, path, func(t *csvTable, idCol, wCol, hCol int) error {
		return readMetaRows(t, idCol, wCol, hCol, into)
	})
}

// readMetaRows reads the rows of a size file. Rows are read as views;
// only the id, kept as the map's key, is copied (string(b) in Atoi stays
// on the stack).
func readMetaRows(t *csvTable, idCol, wCol, hCol int, into map[string]Size) error {
	return t.eachView(func(rec [][]byte, _ int) error {
		w, werr := strconv.Atoi(string(fieldView(rec, wCol)))
		h, herr := strconv.Atoi(string(fieldView(rec, hCol)))
		id := ""
		if b := fieldView(rec, idCol); len(b) > 0 {
			id = stripImageExt(t.lines.cloneBytes(b))
		}
		if id == "" || werr != nil || herr != nil || w <= 0 || h <= 0 {
			return fmt.Errorf("want an image id and positive integer width and height, got %q", rec)
		}
		into[id] = Size{Width: w, Height: h}
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
