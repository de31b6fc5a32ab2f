package dataset

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// csvRows reads an annotation CSV row by row into emit: a malformed row or
// one with fewer than minFields fields is emitted rejected with its line,
// every other row as toRow makes it. The record passed to toRow is reused
// by the next read: a row may keep it (as raw, or in locate) only until
// emit returns.
func csvRows(ctx context.Context, t *csvTable, minFields int, emit func(row) error, toRow func(rec []string, line int) row) error {
	for {
		rec, line, reject, err := t.next()
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
		r := row{line: line, fields: rec, reject: reject}
		if reject == nil {
			r = toRow(rec, line)
			r.line, r.fields = line, rec
		}
		if err := emit(r); err != nil {
			return err
		}
	}
}
