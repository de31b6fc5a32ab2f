package dataset

import (
	"bytes"
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
	for i := 0; i < n; {
		j := bytes.IndexByte(p[i:n], '\n')
		if j < 0 {
			break
		}
		l.newlines = append(l.newlines, l.read+int64(i+j))
		i += j + 1
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

// withoutMember returns a JSON object (already validated) without its
// top-level member key, so that decoding the rest never scans that
// member's value: ChestX-Det's polygons are most of each record's bytes
// and are never used. Anything unexpected returns obj unchanged.
func withoutMember(obj []byte, key string) []byte {
	i := skipSpace(obj, 0)
	if i >= len(obj) || obj[i] != '{' {
		return obj
	}
	i++
	for {
		memberStart := i
		i = skipSpace(obj, i)
		if i >= len(obj) || obj[i] != '"' {
			return obj
		}
		keyEnd := stringEnd(obj, i)
		if keyEnd < 0 {
			return obj
		}
		name := obj[i+1 : keyEnd-1]
		i = skipSpace(obj, keyEnd)
		if i >= len(obj) || obj[i] != ':' {
			return obj
		}
		valueEnd := valueEnd(obj, skipSpace(obj, i+1))
		if valueEnd < 0 {
			return obj
		}
		next := skipSpace(obj, valueEnd)
		if next >= len(obj) {
			return obj
		}
		if string(name) == key {
			out := make([]byte, 0, len(obj)-(next-memberStart))
			switch obj[next] {
			case ',': // drop the member and its comma
				out = append(append(out, obj[:memberStart]...), obj[next+1:]...)
			case '}': // last member: drop the comma before it, if any
				head := bytes.TrimRight(obj[:memberStart], " \t\r\n")
				head = bytes.TrimSuffix(head, []byte(","))
				out = append(append(out, head...), obj[next:]...)
			default:
				return obj
			}
			return out
		}
		switch obj[next] {
		case ',':
			i = next + 1
		default:
			return obj
		}
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// stringEnd is the offset just past the string starting at b[i] == '"',
// or -1.
func stringEnd(b []byte, i int) int {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return -1
}

// valueEnd is the offset just past the JSON value starting at b[i], or -1.
func valueEnd(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				e := stringEnd(b, j)
				if e < 0 {
					return -1
				}
				j = e - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return -1
	}
	j := i
	for j < len(b) && !bytes.ContainsRune([]byte(",}] \t\r\n"), rune(b[j])) {
		j++
	}
	return j
}
