package dataset

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// csvTable reads a CSV file with a header row, giving each record its line
// number and access to columns by header name.
type csvTable struct {
	path   string
	r      *csv.Reader
	cols   map[string]int
	header []string
	f      io.Closer
	// lastErrLine guards against a reader that reports the same parse
	// error forever.
	lastErrLine int
}

func openCSV(path string) (*csvTable, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	t, err := newCSVTable(f, path)
	if err != nil {
		f.Close()
		return nil, err
	}
	t.f = f
	return t, nil
}

func newCSVTable(r io.Reader, path string) (*csvTable, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s:1: empty file, want a header row", path)
	}
	if err != nil {
		return nil, fmt.Errorf("%s:1: header: %w", path, err)
	}
	t := &csvTable{path: path, r: cr, cols: map[string]int{}}
	for i, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		t.header = append(t.header, h)
		key := strings.ToLower(h)
		if _, dup := t.cols[key]; !dup && key != "" {
			t.cols[key] = i
		}
	}
	return t, nil
}

func (t *csvTable) Close() error {
	if t.f != nil {
		return t.f.Close()
	}
	return nil
}

// col returns the index of the first header among names, or -1.
func (t *csvTable) col(names ...string) int {
	for _, n := range names {
		if i, ok := t.cols[strings.ToLower(n)]; ok {
			return i
		}
	}
	return -1
}

// next returns the next record and its line. A malformed line is returned
// as a non-nil rowErr with the line number; io.EOF ends the table.
func (t *csvTable) next() (rec []string, line int, rowErr error, err error) {
	rec, err = t.r.Read()
	if err == nil {
		line, _ = t.r.FieldPos(0)
		return rec, line, nil, nil
	}
	if errors.Is(err, io.EOF) {
		return nil, 0, nil, io.EOF
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		if pe.StartLine == t.lastErrLine {
			return nil, 0, nil, fmt.Errorf("%s:%d: %w", t.path, pe.StartLine, err)
		}
		t.lastErrLine = pe.StartLine
		return rec, pe.StartLine, fmt.Errorf("%w: %v", errMalformedRow, pe.Err), nil
	}
	return nil, 0, nil, fmt.Errorf("%s: %w", t.path, err)
}

// each calls fn for every row of a strict file, where a malformed row is
// an error naming the file and line (meta CSVs, report files).
func (t *csvTable) each(fn func(rec []string, line int) error) error {
	for {
		rec, line, rowErr, err := t.next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if rowErr != nil {
			return fmt.Errorf("%s:%d: %w", t.path, line, rowErr)
		}
		if err := fn(rec, line); err != nil {
			return fmt.Errorf("%s:%d: %w", t.path, line, err)
		}
	}
}

func field(rec []string, i int) string {
	if i < 0 || i >= len(rec) {
		return ""
	}
	return strings.TrimSpace(rec[i])
}
