package dataset

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/parquet/pqarrow"
)

// readArrowRecords reads the leaf columns leaves of fr record by record,
// every Arrow call under arrowSafe, and calls each with every record. It
// checks the rows read against want, the count the file declares: Arrow's
// reader can end early without an error (a page header over its size
// limit), and rows must never vanish silently.
func readArrowRecords(ctx context.Context, path string, fr *pqarrow.FileReader, leaves []int, want int64, each func(arrow.Record) error) error {
	var rr pqarrow.RecordReader
	err := arrowSafe(path, func() (err error) { rr, err = fr.GetRecordReader(ctx, leaves, nil); return err })
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	defer rr.Release()
	n := 0
	for {
		var rec arrow.Record
		err := arrowSafe(path, func() (err error) { rec, err = rr.Read(); return err })
		if rec != nil {
			if err := each(rec); err != nil {
				return err
			}
			n += int(rec.NumRows())
		}
		if errors.Is(err, io.EOF) || (err == nil && rec == nil) {
			break
		}
		if err != nil {
			return fmt.Errorf("%s: row %d: %w", path, n, err)
		}
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
	}
	if int64(n) != want {
		return fmt.Errorf("%s: read %d rows of the %d the file declares", path, n, want)
	}
	return nil
}
