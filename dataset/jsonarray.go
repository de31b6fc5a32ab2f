package dataset

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
)

// lineCounter records newline offsets of what passes through it, so that a
// byte offset from json.Decoder can be turned into a line number.
type lineCounter struct {
	r        io.Reader
	read     int64
	newlines []int64
}

func (l *lineCounter) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	for i := 0; i < n; i++ {
		if p[i] == '\n' {
			l.newlines = append(l.newlines, l.read+int64(i))
		}
	}
	l.read += int64(n)
	return n, err
}

// line is the 1-based line holding byte offset off.
func (l *lineCounter) line(off int64) int {
	return 1 + sort.Search(len(l.newlines), func(i int) bool { return l.newlines[i] >= off })
}

// forEachArrayElement streams the elements of a top-level JSON array in
// path, calling fn with each raw element and the line it starts on.
func forEachArrayElement(path string, fn func(raw json.RawMessage, line int) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	lc := &lineCounter{r: f}
	dec := json.NewDecoder(lc)
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("%s:%d: %w", path, lc.line(dec.InputOffset()), err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return fmt.Errorf("%s:1: want a JSON array of records", path)
	}
	for dec.More() {
		var raw json.RawMessage
		start := dec.InputOffset()
		if err := dec.Decode(&raw); err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) {
				err = fmt.Errorf("truncated file: %w", err)
			}
			return fmt.Errorf("%s:%d: %w", path, lc.line(start), err)
		}
		// The offset before Decode may sit on the separating comma; the
		// element itself ends at the offset after it.
		line := lc.line(dec.InputOffset() - int64(len(raw)))
		if err := fn(raw, line); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil {
		return fmt.Errorf("%s:%d: %w", path, lc.line(dec.InputOffset()), err)
	}
	return nil
}
