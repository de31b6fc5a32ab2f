package dataset

import (
	"context"
	"fmt"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/parquet"
	"github.com/apache/arrow/go/v17/parquet/file"
	"github.com/apache/arrow/go/v17/parquet/pqarrow"
)

// hfBatchRows is how many images of the mirror are decoded at a time.
const hfBatchRows = 16

// bytesLeaf is the leaf holding an image column's PNG bytes: the bytes
// child of an HF Image struct, or the column itself when it is plain
// binary; ok is false for anything else.
func bytesLeaf(f *pqarrow.SchemaField) (leaf *pqarrow.SchemaField, ok bool) {
	if len(f.Children) == 0 {
		id := f.Field.Type.ID()
		return f, id == arrow.BINARY || id == arrow.STRING
	}
	for i := range f.Children {
		ch := &f.Children[i]
		if ch.Field.Name == "bytes" && len(ch.Children) == 0 && ch.Field.Type.ID() == arrow.BINARY {
			return ch, true
		}
	}
	return nil, false
}

// hfLeaf reads one bytes leaf, row group by row group.
type hfLeaf struct {
	field *pqarrow.SchemaField
	rr    file.BinaryRecordReader
}

// readHFLeaves reads the byte-array columns fields (the mirror's label
// and mask images; an id and PNG label grid) leaf by leaf, hfBatchRows rows at a time, with Arrow's per-leaf record reader.
// idName is "" in the mirror's layout, which names rows by position.
// Arrow's struct reader would load the children of an HF Image struct in
// goroutines of its own, where a decoder panic on a damaged file ends the
// process; here every Arrow call runs in this goroutine under arrowSafe.
// Arrow's low-level ReadBatch is not used either: on some damaged pages
// it loops forever without progress. A batch that yields no row is an
// error, so a file declaring more rows than it holds cannot spin.
func (c chestXDetParquet) readHFLeaves(ctx context.Context, path string, pf *file.Reader, fields map[string]*pqarrow.SchemaField, idName, labelName string, emit func(row) error) error {
	schema := pf.MetaData().Schema
	leaves := map[string]*hfLeaf{}
	defer func() {
		for _, l := range leaves {
			l.rr.Release()
		}
	}()
	for name, f := range fields {
		var rr file.RecordReader
		err := arrowSafe(path, func() error {
			rr = file.NewRecordReader(schema.Column(f.ColIndex), f.LevelInfo, arrow.BinaryTypes.Binary, memory.DefaultAllocator, nil)
			return nil
		})
		if err != nil {
			return err
		}
		br, ok := rr.(file.BinaryRecordReader)
		if !ok || rr.Type() != parquet.Types.ByteArray {
			rr.Release()
			return fmt.Errorf("%s: column %s is not binary: %w", path, name, errNotChestXDetParquet)
		}
		leaves[name] = &hfLeaf{field: f, rr: br}
	}
	n := 0
	for rg := 0; rg < pf.NumRowGroups(); rg++ {
		group := pf.RowGroup(rg)
		for name, l := range leaves {
			err := arrowSafe(path, func() error {
				pr, err := group.GetColumnPageReader(l.field.ColIndex)
				if err != nil {
					return err
				}
				l.rr.SetPageReader(pr)
				return nil
			})
			if err != nil {
				return fmt.Errorf("%s: row group %d, column %s: %w", path, rg, name, err)
			}
		}
		for done := int64(0); done < group.NumRows(); {
			if err := ctx.Err(); err != nil {
				return err
			}
			batch := min(hfBatchRows, group.NumRows()-done)
			arrays := map[string]arrow.Array{}
			release := func() {
				for _, a := range arrays {
					a.Release()
				}
			}
			for name, l := range leaves {
				a, err := readLeafBatch(path, l.rr, batch)
				if err != nil {
					release()
					return fmt.Errorf("%s: row group %d, column %s, row %d: %w", path, rg, name, n+1, err)
				}
				arrays[name] = a
			}
			for i := 0; i < int(batch); i++ {
				n++
				if err := c.emitRow(n, arrays[idName], arrays[labelName], arrays["mask"], i, emit); err != nil {
					release()
					return err
				}
			}
			release()
			done += batch
		}
	}
	if want := pf.NumRows(); int64(n) != want {
		return fmt.Errorf("%s: read %d rows of the %d the file declares", path, n, want)
	}
	return nil
}

// readLeafBatch reads the next rows records of a byte-array leaf into a
// Binary array (a null struct or null bytes being a null). Fewer rows
// than asked — the column chunk ending early, or a read making no
// progress — is an error.
func readLeafBatch(path string, rr file.BinaryRecordReader, rows int64) (arrow.Array, error) {
	var out arrow.Array
	err := arrowSafe(path, func() error {
		rr.Reset()
		if err := rr.Reserve(rows); err != nil {
			return err
		}
		var got int64
		for got < rows {
			read, err := rr.ReadRecords(rows - got)
			if err != nil {
				return err
			}
			if read <= 0 {
				return fmt.Errorf("%w: column chunk ended after %d of %d rows of the batch", errMalformedParquet, got, rows)
			}
			got += read
		}
		chunks := rr.GetBuilderChunks()
		if len(chunks) != 1 || int64(chunks[0].Len()) != rows {
			for _, ch := range chunks {
				ch.Release()
			}
			return fmt.Errorf("%w: decoded %d chunks for %d rows", errMalformedParquet, len(chunks), rows)
		}
		out = chunks[0]
		return nil
	})
	return out, err
}
