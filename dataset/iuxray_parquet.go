package dataset

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/parquet"
	"github.com/apache/arrow/go/v17/parquet/file"
	"github.com/apache/arrow/go/v17/parquet/pqarrow"
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
	return readIUParquetWithin(ctx, path, maxIUTextGroupBytes, fn)
}

// readIUParquetWithin is readIUParquet refusing row groups whose text
// columns declare more than limit bytes.
func readIUParquetWithin(ctx context.Context, path string, limit int64, fn func(IUReport) error) error {
	// A buffered stream reads a column chunk page by page instead of
	// whole.
	props := parquet.NewReaderProperties(memory.DefaultAllocator)
	props.BufferedStreamEnabled, props.BufferSize = true, 1<<20
	var pf *file.Reader
	err := arrowSafe(path, func() (err error) { pf, err = file.OpenParquetFile(path, false, file.WithReadProps(props)); return err })
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	defer pf.Close()
	var fr *pqarrow.FileReader
	err = arrowSafe(path, func() (err error) {
		fr, err = pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: 256}, memory.DefaultAllocator)
		return err
	})
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	fields := map[string]int{}
	var names []string
	for i, f := range fr.Manifest.Fields {
		names = append(names, f.Field.Name)
		if name := strings.ToLower(f.Field.Name); fields[name] == 0 {
			fields[name] = i + 1
		}
	}
	var leaves []int
	var missing []string
	for _, c := range iuColumns {
		i := fields[c.name]
		switch {
		case i == 0 && c.required:
			missing = append(missing, c.name)
		case i > 0:
			f := &fr.Manifest.Fields[i-1]
			if len(f.Children) > 0 {
				return fmt.Errorf("%s: column %s is %s, want text: %w", path, f.Field.Name, f.Field.Type, errNotIUReports)
			}
			leaves = append(leaves, f.ColIndex)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%s: %w; missing %s; the file has %v", path, errNotIUReports, strings.Join(missing, ", "), names)
	}
	if err := arrowSafe(path, func() error { return checkIUGroupSizes(path, pf, leaves, limit) }); err != nil {
		return err
	}
	n := 0
	return readArrowRecords(ctx, path, fr, leaves, pf.NumRows(), func(rec arrow.Record) error {
		return emitIUBatch(path, rec, &n, fn)
	})
}

// checkIUGroupSizes refuses a file any of whose row groups declares more
// than limit bytes in the text columns leaves (compressed or not).
func checkIUGroupSizes(path string, pf *file.Reader, leaves []int, limit int64) error {
	md := pf.MetaData()
	for g := range pf.NumRowGroups() {
		rg := md.RowGroup(g)
		var total int64
		for _, leaf := range leaves {
			cc, err := rg.ColumnChunk(leaf)
			if err != nil {
				return fmt.Errorf("%s: row group %d: %w: %v", path, g, errMalformedParquet, err)
			}
			size := max(cc.TotalUncompressedSize(), cc.TotalCompressedSize())
			if size < 0 {
				return fmt.Errorf("%s: row group %d: %w: column chunk declares %d bytes", path, g, errMalformedParquet, size)
			}
			if size > limit-total {
				return fmt.Errorf("%s: row group %d: %w: its text columns declare more than %d bytes (%d rows); rewrite the file with smaller row groups",
					path, g, errIUTooLarge, limit, rg.NumRows())
			}
			total += size
		}
	}
	return nil
}

// errMalformedParquet marks a parquet file Arrow could not decode.
var errMalformedParquet = errors.New("malformed parquet file")

// arrowSafe runs an Arrow parquet call, turning a panic into an error:
// Arrow's decoders trust the file's encoded lengths and panic on some
// damaged files instead of returning an error (found by FuzzIUReports).
func arrowSafe(path string, call func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s: %w: %v", path, errMalformedParquet, r)
		}
	}()
	return call()
}

// emitIUBatch calls fn for each row of one record batch; n counts rows.
func emitIUBatch(path string, rec arrow.Record, n *int, fn func(IUReport) error) error {
	cols := map[string]arrow.Array{}
	for i, f := range rec.Schema().Fields() {
		if name := strings.ToLower(f.Name); cols[name] == nil {
			cols[name] = rec.Column(i)
		}
	}
	text := func(name string, i int) (string, error) {
		a := cols[name]
		if a == nil {
			return "", nil
		}
		s := stringAt(a, i)
		if len(s) > maxCSVLineBytes {
			return "", fmt.Errorf("%s: row %d: %s is %d bytes, more than %d", path, *n, name, len(s), maxCSVLineBytes)
		}
		return s, nil
	}
	for i := 0; i < int(rec.NumRows()); i++ {
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
