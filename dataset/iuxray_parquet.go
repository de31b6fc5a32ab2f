package dataset

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/apache/arrow/go/v17/parquet"
	"github.com/apache/arrow/go/v17/parquet/file"
	"github.com/apache/arrow/go/v17/parquet/schema"
)

// iuColumns are the Open-i report columns read, in IUReport's order; the
// first, uid, mesh, findings and impression are required.
var iuColumns = []struct {
	name     string
	required bool
}{{"uid", true}, {"mesh", true}, {"problems", false}, {"findings", true}, {"impression", true}}

// errNotIUReports names the layouts --iu-reports reads.
var errNotIUReports = errors.New("not an IU-Xray reports file: want the columns uid, MeSH, findings, impression (Problems optional), as in indiana_reports.csv or the Open-i parquet (ykumards/open-i)")

// parquetMagic begins (and ends) every parquet file.
var parquetMagic = []byte("PAR1")

// isParquet reports whether the file at path is parquet: by its first
// bytes, or by its extension (so that a damaged .parquet file fails as
// parquet, not as a CSV with a strange header).
func isParquet(path string) (bool, error) {
	if strings.EqualFold(filepath.Ext(path), ".parquet") {
		return true, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	head := make([]byte, len(parquetMagic))
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return false, fmt.Errorf("%s: %w", path, err)
	}
	return bytes.Equal(head[:n], parquetMagic), nil
}

// maxIUTextGroupBytes bounds the text columns of one row group of an
// Open-i parquet, as the file's metadata declares them: Arrow holds a
// whole column chunk of a row group in memory, so the bound is checked
// before anything is read. The real file's text is a few MiB in all.
const maxIUTextGroupBytes = 64 << 20

// errIUTooLarge marks an Open-i parquet whose row groups declare more
// text than maxIUTextGroupBytes.
var errIUTooLarge = errors.New("parquet row group too large")

// readIUParquet streams the reports of an Open-i parquet file: only the
// text columns are read (the image columns hold megabytes of PNG per
// row and are never loaded). Line is the 1-based row number.
func readIUParquet(ctx context.Context, path string, fn func(IUReport) error) error {
	return readIUParquetWithin(ctx, path, maxIUTextGroupBytes, maxParquetBuffer, fn)
}

// iuBatchRows is how many Open-i rows are decoded at a time.
const iuBatchRows = 256

// readIUParquetWithin is readIUParquet refusing row groups whose text
// columns declare more than limit bytes, and any buffer Arrow would
// allocate over bufferLimit bytes: the declared sizes are checked before
// reading, a damaged page header is refused as it is read.
func readIUParquetWithin(ctx context.Context, path string, limit int64, bufferLimit int, fn func(IUReport) error) error {
	// A buffered stream reads a column chunk page by page instead of
	// whole.
	pf, mem, err := openParquet(path, bufferLimit, true)
	if err != nil {
		return err
	}
	defer pf.Close()
	sc := pf.MetaData().Schema
	cols, names := topColumns(sc)
	var leaves []int
	var found []string
	var missing []string
	for _, c := range iuColumns {
		n := cols[c.name]
		switch {
		case n == nil && c.required:
			missing = append(missing, c.name)
		case n != nil:
			if n.Type() != schema.Primitive || n.RepetitionType() == parquet.Repetitions.Repeated {
				return fmt.Errorf("%s: column %s is %s, want text: %w", path, n.Name(), describeNode(n), errNotIUReports)
			}
			leaves = append(leaves, sc.ColumnIndexByNode(n))
			found = append(found, c.name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%s: %w; missing %s; the file has %v", path, errNotIUReports, strings.Join(missing, ", "), names)
	}
	if err := checkIUGroupSizes(path, pf, leaves, limit); err != nil {
		return err
	}
	readers := make([]*parquetLeaf, 0, len(leaves))
	for k, leaf := range leaves {
		l, err := newLeaf(path, pf, mem, found[k], leaf)
		if err == nil && l.kind == leafOther {
			l.rr.Release()
			err = fmt.Errorf("%s: column %s is %s, want text: %w", path, found[k], describeNode(cols[found[k]]), errNotIUReports)
		}
		if err != nil {
			for _, l := range readers {
				l.rr.Release()
			}
			return err
		}
		readers = append(readers, l)
	}
	n := 0
	return readLeaves(ctx, path, pf, readers, iuBatchRows, func(bs []*leafBatch) error {
		return emitIUBatch(path, found, bs, &n, fn)
	})
}

// checkIUGroupSizes refuses a file any of whose row groups declares more
// than limit bytes in the text columns leaves (compressed or not).
func checkIUGroupSizes(path string, pf *file.Reader, leaves []int, limit int64) error {
	md := pf.MetaData()
	for g := range pf.NumRowGroups() {
		var sizes []int64
		var rows int64
		err := arrowSafe(func() error {
			rg := md.RowGroup(g)
			rows = rg.NumRows()
			for _, leaf := range leaves {
				cc, err := rg.ColumnChunk(leaf)
				if err != nil {
					return fmt.Errorf("%w: %v", errMalformedParquet, err)
				}
				sizes = append(sizes, max(cc.TotalUncompressedSize(), cc.TotalCompressedSize()))
			}
			return nil
		})
		if err != nil {
			return inFile(path, fmt.Sprintf("row group %d", g), err)
		}
		var total int64
		for _, size := range sizes {
			if size < 0 {
				return fmt.Errorf("%s: row group %d: %w: column chunk declares %d bytes", path, g, errMalformedParquet, size)
			}
			if size > limit-total {
				return fmt.Errorf("%s: row group %d: %w: its text columns declare more than %d bytes (%d rows); rewrite the file with smaller row groups",
					path, g, errIUTooLarge, limit, rows)
			}
			total += size
		}
	}
	return nil
}

// errMalformedParquet marks a parquet file Arrow could not decode.
var errMalformedParquet = errors.New("malformed parquet file")

// arrowSafe runs Arrow parquet calls, turning a panic into an error:
// Arrow's decoders trust the file's encoded lengths and panic on some
// damaged files instead of returning an error (found by FuzzIUReports).
// call must hold Arrow calls only, never cxrkit's own processing of their
// results: a panic of ours must stay a panic, for the tests and fuzz
// targets to see. The error does not name the file: callers add it.
func arrowSafe(call func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v", errMalformedParquet, r)
		}
	}()
	return call()
}

// inFile is err about the file at path, where in it (may be empty): the
// path is added unless err is the operating system's error about that
// very path (an *fs.PathError names it), so a message names the file once.
func inFile(path, where string, err error) error {
	var pe *fs.PathError
	named := errors.As(err, &pe) && pe.Path == path
	switch {
	case named && where == "":
		return err
	case named:
		return fmt.Errorf("%s: %w", where, err)
	case where == "":
		return fmt.Errorf("%s: %w", path, err)
	}
	return fmt.Errorf("%s: %s: %w", path, where, err)
}

// emitIUBatch calls fn for each row of one batch of the columns names;
// n counts rows.
func emitIUBatch(path string, names []string, bs []*leafBatch, n *int, fn func(IUReport) error) error {
	text := func(name string, i int) (string, error) {
		for k, c := range names {
			if c != name {
				continue
			}
			s := bs[k].stringAt(i)
			if len(s) > maxCSVLineBytes {
				return "", fmt.Errorf("%s: row %d: %s is %d bytes, more than %d", path, *n, name, len(s), maxCSVLineBytes)
			}
			return s, nil
		}
		return "", nil
	}
	for i := range bs[0].rows {
		*n++
		var v [5]string
		for k, c := range iuColumns {
			s, err := text(c.name, i)
			if err != nil {
				return err
			}
			v[k] = s
		}
		r := IUReport{UID: v[0], MeSH: splitTerms(v[1]), Problems: splitTerms(v[2]), Findings: v[3], Impression: v[4], Line: *n}
		if err := fn(r); err != nil {
			return err
		}
	}
	return nil
}
