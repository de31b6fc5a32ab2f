package dataset

import (
	"errors"
	"fmt"
	"io"
)

// rowFunc handles one well-formed annotation row and counts it as kept or
// dropped; it returns a reject reason to reject the row instead, or an
// error to stop the read.
type rowFunc func(rec []string, line int) (reject error, err error)

// eachRow reads an annotation CSV row by row: every row is counted as
// read, malformed or short rows (fewer than minFields) are rejected with
// their line, and the rest go to fn.
func (p *preparer) eachRow(t *csvTable, st *SourceStats, minFields int, fn rowFunc) error {
	for {
		rec, line, reject, err := t.next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := p.ctx.Err(); err != nil {
			return err
		}
		st.RowsRead++
		if reject == nil && len(rec) < minFields {
			reject = fmt.Errorf("%w: %d, want %d", errFieldCount, len(rec), minFields)
		}
		if reject == nil {
			if reject, err = fn(rec, line); err != nil {
				return err
			}
		}
		if reject != nil {
			if err := p.rejects.add(st, t.path, line, reject, rowCopy(rec)); err != nil {
				return err
			}
		}
	}
}
