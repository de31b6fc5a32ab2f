package dataset

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// csvTable reads a CSV file with a header row, giving each record its line
// number and access to columns by header name.
//
// A line without a double quote (every line of the VinDr, NIH and meta
// files) is split on commas here, as encoding/csv would split it, into
// views of the line in the reader's buffer and a reused record; a line with
// a quote, and the lines a quoted field runs on to, go through encoding/csv,
// so quoting and its errors are exactly encoding/csv's
// (TestCSVTableMatchesEncodingCSV, FuzzCSVTable). nextView hands out the
// views, valid until the next read; next copies them into strings.
type csvTable struct {
	path   string
	cols   map[string]int
	header []string
	f      io.Closer
	// lastErrLine guards against a reader that reports the same parse
	// error forever.
	lastErrLine int
	capped      *lineCapReader
	view        [][]byte // the record nextView reuses
	rec         []string // the record next reuses
	// valid is set when the line read by the fast path is valid UTF-8.
	valid bool
	// lines holds the strings next copies fields into, many to one
	// allocation.
	lines stringChunks
}

// lineChunk is the size of the allocations next copies fields into.
const lineChunk = 64 << 10

// openCSV opens the CSV file at path (openCSVInput without a digest to
// take).
func openCSV(path string) (*csvTable, error) {
	return openCSVInput(context.Background(), path)
}

// newCSVTable reads the CSV file r, of size bytes (-1 when unknown), at
// path. Close gives its read buffer back.
func newCSVTable(r io.Reader, path string, size int64) (*csvTable, error) {
	capped := &lineCapReader{r: newFileReader(r, size), max: maxCSVLineBytes, cut: map[int]bool{}}
	t := &csvTable{path: path, cols: map[string]int{}, capped: capped, lines: stringChunks{chunk: lineChunk}}
	header, _, err := t.read()
	if errors.Is(err, io.EOF) {
		t.release()
		return nil, fmt.Errorf("%s:1: empty file, want a header row", path)
	}
	if err != nil {
		t.release()
		return nil, fmt.Errorf("%s:1: header: %w", path, err)
	}
	for _, b := range header {
		h := strings.TrimSpace(strings.TrimPrefix(string(b), "\ufeff"))
		t.header = append(t.header, h)
		key := strings.ToLower(h)
		if _, dup := t.cols[key]; !dup && key != "" {
			t.cols[key] = len(t.header) - 1
		}
	}
	return t, nil
}

func (t *csvTable) Close() error {
	t.release()
	if t.f != nil {
		return t.f.Close()
	}
	return nil
}

// release gives the table's read buffer back (once); the table reads
// nothing more.
func (t *csvTable) release() {
	releaseFileReader(t.capped.r)
	t.capped.r, t.capped.out = nil, nil
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

// next returns the next record as strings and its line. A malformed line
// is returned as a non-nil rowErr with the line number; io.EOF ends the
// table. The record is reused by the next call; its strings are not.
func (t *csvTable) next() (rec []string, line int, rowErr error, err error) {
	view, line, rowErr, err := t.nextView()
	return t.strings(view), line, rowErr, err
}

// strings copies a record of views into strings, in a record reused by
// the next call (nil for nil).
func (t *csvTable) strings(view [][]byte) []string {
	if view == nil {
		return nil
	}
	rec := t.rec[:0]
	for _, f := range view {
		rec = append(rec, t.lines.cloneBytes(f))
	}
	t.rec = rec
	return rec
}

// nextView is next with the record's fields as views into the reader's
// buffer: record and fields are valid only until the next read.
func (t *csvTable) nextView() (rec [][]byte, line int, rowErr error, err error) {
	rec, line, err = t.read()
	if err == nil {
		if t.capped.cut[line] {
			delete(t.capped.cut, line)
			return rec, line, fmt.Errorf("%w: line longer than %d bytes (kept the first %d in the reject)", errMalformedRow, maxCSVLineBytes, keptBytes), nil
		}
		if t.valid {
			return rec, line, nil, nil
		}
		for i, f := range rec {
			if !utf8.Valid(f) {
				rec[i] = bytes.ToValidUTF8(f, []byte("\uFFFD"))
				return rec, line, fmt.Errorf("%w: column %d is not valid UTF-8 (ids would merge)", errMalformedRow, i+1), nil
			}
		}
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

// read returns the next record, as views, and the line it starts on,
// skipping empty lines as encoding/csv does. A *csv.ParseError carries
// absolute lines.
func (t *csvTable) read() (rec [][]byte, line int, err error) {
	for {
		if err := t.capped.fill(); err != nil {
			return nil, 0, err
		}
		b := t.capped.out
		t.capped.out = nil
		if bytes.IndexByte(b, '"') >= 0 {
			t.valid = false
			fields, line, err := t.readQuoted(b)
			rec = t.view[:0]
			for _, f := range fields {
				rec = append(rec, []byte(f))
			}
			t.view = rec
			if fields == nil {
				rec = nil
			}
			return rec, line, err
		}
		// encoding/csv drops a trailing \r at the end of the input and
		// reads \r\n as \n.
		b = bytes.TrimSuffix(b, []byte{'\n'})
		b = bytes.TrimSuffix(b, []byte{'\r'})
		if len(b) == 0 {
			continue
		}
		// A comma never falls inside a UTF-8 sequence: a valid line has
		// valid fields, so next checks its fields only when it is not.
		t.valid = utf8.Valid(b)
		rec := t.view[:0]
		start := 0
		for i, c := range b {
			if c == ',' {
				rec = append(rec, b[start:i:i])
				start = i + 1
			}
		}
		t.view = append(rec, b[start:len(b):len(b)])
		return t.view, t.capped.line, nil
	}
}

// readQuoted parses the record that starts with line (which has a double
// quote) with encoding/csv, fed the following lines one at a time for a
// quoted field that spans lines. lineCapReader hands out at most the rest
// of one line per Read and encoding/csv stops reading at the end of the
// record, so it has read exactly the record's lines; InputOffset confirms
// that, and anything else fails loudly rather than lose a line.
func (t *csvTable) readQuoted(line []byte) ([]string, int, error) {
	start := t.capped.line
	src := &countingReader{r: io.MultiReader(bytes.NewReader(bytes.Clone(line)), t.capped)}
	cr := csv.NewReader(src)
	cr.FieldsPerRecord = -1
	rec, err := cr.Read()
	if cr.InputOffset() != src.n {
		return nil, 0, fmt.Errorf("line %d: csv reader read %d bytes ahead of its record", start, src.n-cr.InputOffset())
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		shifted := *pe
		shifted.StartLine += start - 1
		shifted.Line += start - 1
		return rec, shifted.StartLine, &shifted
	}
	return rec, start, err
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// each calls fn for every row of a strict file, where a malformed row is
// an error naming the file and line (meta CSVs, report files).
func (t *csvTable) each(fn func(rec []string, line int) error) error {
	return t.eachView(func(view [][]byte, line int) error { return fn(t.strings(view), line) })
}

// eachView is each with the record as views, valid until fn returns.
func (t *csvTable) eachView(fn func(rec [][]byte, line int) error) error {
	for {
		rec, line, rowErr, err := t.nextView()
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

// fieldView is field of a record of views.
func fieldView(rec [][]byte, i int) []byte {
	if i < 0 || i >= len(rec) {
		return nil
	}
	return bytes.TrimSpace(rec[i])
}

// maxCSVLineBytes bounds one CSV line (annotation rows are well under a
// kilobyte); a longer line is one rejected row, cut short, not an
// unbounded allocation.
const maxCSVLineBytes = 1 << 20

// keptBytes is how much of an over-long line its reject keeps.
const keptBytes = 256

// lineCapReader passes a CSV stream through line by line, replacing a
// line longer than max with its first keptBytes (quotes removed, so the
// short row cannot swallow the next lines) and noting its line number.
// Line numbering is unchanged: every newline passes through.
type lineCapReader struct {
	r    *bufio.Reader
	max  int
	line int // lines started so far
	cut  map[int]bool
	buf  []byte // the current line, or its replacement
	out  []byte // what of buf is not yet read
}

func (l *lineCapReader) Read(p []byte) (int, error) {
	for len(l.out) == 0 {
		if err := l.fill(); err != nil {
			return 0, err
		}
	}
	n := copy(p, l.out)
	l.out = l.out[n:]
	return n, nil
}

// fill reads the next line, at most max bytes of it kept in memory.
func (l *lineCapReader) fill() error {
	l.line++
	// buf keeps its capacity from line to line (out, which Read shortens
	// from the front, does not): one allocation per file, not per line.
	l.buf = l.buf[:0]
	long := false
	for {
		chunk, err := l.r.ReadSlice('\n')
		if err == nil && !long && len(l.buf) == 0 && len(chunk) <= l.max {
			// A whole line in the reader's buffer is handed out as is: it
			// stays there until the next ReadSlice, after out is read.
			l.out = chunk
			return nil
		}
		if !long {
			l.buf = append(l.buf, chunk...)
			if len(l.buf) > l.max {
				long = true
				l.buf = append(bytes.ReplaceAll(l.buf[:keptBytes], []byte{'"'}, nil), '\n')
				l.cut[l.line] = true
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		l.out = l.buf
		if err != nil && len(l.out) == 0 {
			return err
		}
		return nil
	}
}
