package dataset

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// csvViewRows reads an annotation CSV row by row into emit: a malformed row
// or one with fewer than minFields fields is emitted rejected with its line,
// every other row as toRow makes it. The record passed to toRow is a view
// of the reader's buffer, overwritten by the next read: a row may keep it
// (as its raw form, or in locate) only until emit returns, and whatever
// outlives the row is copied (the image registry copies ids, the label
// caches their labels).
func csvViewRows(ctx context.Context, t *csvTable, minFields int, emit func(row) error, toRow func(rec [][]byte, line int) row) error {
	for {
		rec, line, reject, err := t.nextView()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if reject == nil && len(rec) < minFields {
			reject = fmt.Errorf("%w: %d, want %d", errFieldCount, len(rec), minFields)
		}
		r := row{line: line, views: rec, reject: reject}
		if reject == nil {
			r = toRow(rec, line)
			r.line, r.views = line, rec
		}
		if err := emit(r); err != nil {
			return err
		}
	}
}

// csvRows is csvViewRows for a source that reads a row's fields as
// strings (NIH, VinDr image labels): they are copied out of the reader's
// buffer, so a row's strings stay valid after emit.
func csvRows(ctx context.Context, t *csvTable, minFields int, emit func(row) error, toRow func(rec []string, line int) row) error {
	var rec []string
	return csvViewRows(ctx, t, minFields, emit, func(view [][]byte, line int) row {
		rec = rec[:0]
		for _, f := range view {
			rec = append(rec, t.lines.cloneBytes(f))
		}
		return toRow(rec, line)
	})
}
