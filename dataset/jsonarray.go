package dataset

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"unicode/utf8"
)

// maxJSONElementBytes bounds one element of a top-level JSON array (the
// largest published ChestX-Det record, polygons included, is 34 KB); a
// longer element is one rejected row, cut short, not an unbounded
// allocation.
const maxJSONElementBytes = 1 << 20

// readBufferBytes is the read buffer of an input file (a JSON array or a
// CSV table; see newFileReader): JSON elements that fit in it (all
// published ChestX-Det records) are decoded in place.
const readBufferBytes = 256 << 10

// jsonElement is one element of a top-level JSON array as read.
type jsonElement struct {
	raw  json.RawMessage // valid JSON, or the first keptBytes when reject is set
	line int             // the line the element starts on
	// reject says why the element cannot be read (too long, not UTF-8);
	// the caller emits it as one rejected row.
	reject error
	// unchecked says raw has not been validated yet (uncheckedBorrowed):
	// check does it.
	unchecked bool
	// decoded says the decode function of readArrayElements took raw,
	// which is then valid JSON of its choosing.
	decoded bool
}

// check validates an unchecked element as forEachArrayElement does before
// handing it over: JSON syntax errors end the read with file:line, and an
// element that is not UTF-8 becomes a reject.
func (el *jsonElement) check(path string) error {
	if !el.unchecked || el.reject != nil {
		return nil
	}
	el.unchecked = false
	switch {
	case !json.Valid(el.raw):
		return fmt.Errorf("%s:%d: %w", path, el.line, syntaxError(el.raw))
	case !utf8.Valid(el.raw):
		el.reject = errNotUTF8()
	}
	return nil
}

// errNotUTF8 is the reject of an element that is not valid UTF-8.
func errNotUTF8() error {
	return fmt.Errorf("%w: not valid UTF-8 (ids would merge)", errMalformedRow)
}

// elementUse says how the callback of readArrayElements takes elements.
type elementUse uint8

const (
	// checkedCopy hands over elements already checked, each in a slice
	// of its own that the callback may keep.
	checkedCopy elementUse = iota
	// uncheckedCopy hands over elements unchecked (the callback
	// validates them itself, or calls check), each its own to keep.
	uncheckedCopy
	// uncheckedBorrowed hands over elements unchecked (the callback
	// validates them itself, or calls check), in a buffer that is reused
	// for the next element: the callback must copy what it keeps.
	uncheckedBorrowed
)

// forEachArrayElement streams the elements of a top-level JSON array in
// path, calling fn with each one. No element costs more than
// maxJSONElementBytes of memory, however long it is; malformed JSON
// outside an over-long element ends the read with file:line.
func forEachArrayElement(ctx context.Context, path string, fn func(jsonElement) error) error {
	return readArrayElements(ctx, path, checkedCopy, nil, fn)
}

// readArrayElements is forEachArrayElement with the elements handed over
// as use says. With uncheckedBorrowed, a non-nil decode is first given
// each object element in place in the read buffer (b starts at its '{'
// and may run past its end): when decode reads a whole valid element of
// n bytes, that is the element, handed to fn with decoded set, and it is
// neither copied nor scanned again. Elements decode refuses are read as
// usual.
func readArrayElements(ctx context.Context, path string, use elementUse, decode func(b []byte) (n int, ok bool), fn func(jsonElement) error) error {
	f, err := openInput(ctx, path)
	if err != nil {
		return err
	}
	defer f.Close()
	size := int64(-1)
	if st, err := os.Stat(path); err == nil {
		size = st.Size()
	}
	sticky := &stickyReader{r: f}
	s := &arrayScanner{r: newFileReader(sticky, size), line: 1, max: maxJSONElementBytes, borrow: use == uncheckedBorrowed}
	defer releaseFileReader(s.r)
	if s.borrow {
		s.decode = decode
	}
	b, err := s.nonSpace()
	if errors.Is(err, io.EOF) {
		return fmt.Errorf("%s:%d: empty file, want a JSON array of records", path, s.line)
	}
	if err != nil {
		return fmt.Errorf("%s:%d: %w", path, s.line, err)
	}
	if b != '[' {
		return fmt.Errorf("%s:%d: want a JSON array of records", path, s.line)
	}
	b, err = s.nonSpace()
	if err == nil && b == ']' {
		return s.end(path, sticky)
	}
	for {
		if err != nil {
			return fmt.Errorf("%s:%d: %w", path, s.line, truncated(err))
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		el := jsonElement{line: s.line}
		var long bool
		el.raw, long, el.decoded, err = s.element(b)
		if err != nil {
			return fmt.Errorf("%s:%d: %w", path, el.line, truncated(err))
		}
		if long {
			el.reject = fmt.Errorf("%w: element longer than %d bytes (kept the first %d in the reject)", errMalformedRow, s.max, len(el.raw))
		}
		el.unchecked = !el.decoded
		if use == checkedCopy {
			if err := el.check(path); err != nil {
				return err
			}
		}
		if err := fn(el); err != nil {
			return err
		}
		b, err = s.nonSpace()
		if err != nil {
			continue // reported as truncated above
		}
		switch b {
		case ']':
			return s.end(path, sticky)
		case ',':
			b, err = s.nonSpace()
		default:
			return fmt.Errorf("%s:%d: invalid character %q after array element", path, s.line, b)
		}
	}
}

// errTrailingData marks a JSON array file with more than whitespace after
// the array's closing ']'.
var errTrailingData = errors.New("data after the JSON array")

// end checks that nothing but JSON whitespace follows the array's closing
// ']'; read is the reader under s.r, for the byte offset of what does.
func (s *arrayScanner) end(path string, read *stickyReader) error {
	b, err := s.nonSpace()
	if errors.Is(err, io.EOF) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s:%d: %w", path, s.line, err)
	}
	offset := read.n - int64(s.r.Buffered()) - 1
	return fmt.Errorf("%s:%d: byte offset %d: %w (%q), want only whitespace after the closing ']'", path, s.line, offset, errTrailingData, b)
}

// truncated names an end of file inside the array.
func truncated(err error) error {
	if errors.Is(err, io.EOF) {
		return fmt.Errorf("truncated file: %w", io.ErrUnexpectedEOF)
	}
	return err
}

// syntaxError says what is wrong with raw, which is not valid JSON.
func syntaxError(raw []byte) error {
	var v json.RawMessage
	if err := json.Unmarshal(raw, &v); err != nil {
		return err
	}
	return errors.New("invalid JSON")
}

// arrayScanner finds where JSON values end without decoding them, so an
// element can be measured before it is kept. It tracks strings, escapes
// and nesting only; a kept element is validated afterwards.
type arrayScanner struct {
	r    *bufio.Reader
	line int // the line of the next byte
	max  int
	buf  []byte
	long bool
	// borrow hands out elements in buf (or the reader's buffer) itself
	// instead of a copy; decode is readArrayElements' decode.
	borrow bool
	decode func([]byte) (int, bool)
}

// stickyReader keeps returning the first error its reader gave, so that
// an error met by a Peek that only looked ahead comes back on the next
// read instead of being lost. n counts the bytes read.
type stickyReader struct {
	r   io.Reader
	err error
	n   int64
}

func (s *stickyReader) Read(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	n, err := s.r.Read(p)
	s.err = err
	s.n += int64(n)
	return n, err
}

func (s *arrayScanner) next() (byte, error) {
	b, err := s.r.ReadByte()
	if b == '\n' && err == nil {
		s.line++
	}
	return b, err
}

// nonSpace returns the next byte that is not JSON whitespace.
func (s *arrayScanner) nonSpace() (byte, error) {
	for {
		b, err := s.next()
		if err != nil || !isJSONSpace(b) {
			return b, err
		}
	}
}

func isJSONSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\n' || b == '\r' }

// keep adds b to the element unless it has grown past max, in which case
// only its first keptBytes stay.
func (s *arrayScanner) keep(b byte) {
	if s.long {
		return
	}
	if len(s.buf) >= s.max {
		s.long = true
		s.buf = s.buf[:min(keptBytes, len(s.buf))]
		return
	}
	if len(s.buf) == cap(s.buf) {
		// Doubling, not append's gentler growth: an element near the cap
		// then costs twice its size in allocations, not five times.
		grown := make([]byte, len(s.buf), min(max(2*cap(s.buf), 4096), s.max))
		copy(grown, s.buf)
		s.buf = grown
	}
	s.buf = append(s.buf, b)
}

// element reads the value that starts with first. It returns the value
// (a fresh slice), or its first keptBytes with long set when the value is
// longer than max.
func (s *arrayScanner) element(first byte) (raw []byte, long, decoded bool, err error) {
	if s.decode != nil && first == '{' {
		if raw, ok := s.decodeInPlace(); ok {
			return raw, false, true, nil
		}
	}
	s.buf, s.long = s.buf[:0], false
	s.keep(first)
	switch first {
	case '"':
		err = s.stringRest()
	case '{', '[':
		err = s.containerRest()
	default: // a number or literal: up to the next delimiter, left unread
		for {
			next, perr := s.r.Peek(1)
			if perr != nil || isJSONSpace(next[0]) || next[0] == ',' || next[0] == ']' || next[0] == '}' {
				break
			}
			b, _ := s.next()
			s.keep(b)
		}
	}
	if s.borrow {
		return s.buf, s.long, false, err
	}
	// The element leaves as a copy of its own size; the buffer is reused.
	return bytes.Clone(s.buf), s.long, false, err
}

// decodeInPlace gives s.decode the element whose first byte was just
// read, where it lies in the reader's buffer (filled up first if decode
// runs out of buffered bytes). When decode takes it, the element is
// consumed and returned, still in the buffer; otherwise nothing is
// consumed.
func (s *arrayScanner) decodeInPlace() ([]byte, bool) {
	if s.r.UnreadByte() != nil {
		return nil, false
	}
	buf, _ := s.r.Peek(s.r.Buffered())
	n, ok := s.decode(buf)
	if !ok && len(buf) < s.r.Size() {
		// An element across the end of what is buffered: read more. An
		// error here comes back to the usual read (stickyReader).
		buf, _ = s.r.Peek(s.r.Size())
		n, ok = s.decode(buf)
	}
	if !ok || n > s.max {
		_, _ = s.r.ReadByte() // the byte unread above: cannot fail
		return nil, false
	}
	raw := buf[:n:n]
	s.line += bytes.Count(raw, []byte{'\n'})
	_, _ = s.r.Discard(n) // bytes already peeked: discarding them cannot fail
	return raw, true
}

// containerRest reads an object or array after its opening bracket. It
// scans what the reader has buffered a chunk at a time rather than byte
// by byte (ChestX-Det records are mostly polygon points), keeping and
// counting lines exactly as reading each byte would; between the bytes
// that matter (brackets and quotes, and in strings quotes and
// backslashes) it only looks bytes up in a table.
func (s *arrayScanner) containerRest() error {
	depth, inString, escaped := 1, false, false
	for depth > 0 {
		chunk, err := s.r.Peek(max(1, s.r.Buffered()))
		if len(chunk) == 0 {
			return err
		}
		i := 0
		if escaped { // the byte after a backslash that ended the last chunk
			i, escaped = 1, false
		}
	scan:
		for i < len(chunk) {
			if inString {
				for i < len(chunk) && !stringSpecial[chunk[i]] {
					i++
				}
				switch {
				case i == len(chunk):
				case chunk[i] == '\\':
					if i+1 == len(chunk) {
						escaped = true
					}
					i += min(2, len(chunk)-i)
				default:
					inString = false
					i++
				}
				continue
			}
			for i < len(chunk) && !structural[chunk[i]] {
				i++
			}
			if i == len(chunk) {
				break
			}
			switch chunk[i] {
			case '"':
				inString = true
			case '{', '[':
				depth++
			default: // '}', ']'
				depth--
				if depth == 0 {
					i++
					break scan
				}
			}
			i++
		}
		s.keepBytes(chunk[:i])
		s.line += bytes.Count(chunk[:i], []byte{'\n'})
		_, _ = s.r.Discard(i) // bytes already peeked: discarding them cannot fail
	}
	return nil
}

// structural marks the bytes that open or close a container or a string;
// stringSpecial the bytes that end or escape within a string.
var (
	structural    = [256]bool{'"': true, '{': true, '[': true, '}': true, ']': true}
	stringSpecial = [256]bool{'"': true, '\\': true}
)

// keepBytes is keep of each byte of p in turn.
func (s *arrayScanner) keepBytes(p []byte) {
	if s.long {
		return
	}
	if room := s.max - len(s.buf); len(p) > room {
		need := min(keptBytes, s.max)
		if len(s.buf) < need {
			s.buf = append(s.buf, p[:need-len(s.buf)]...)
		}
		s.buf, s.long = s.buf[:need], true
		return
	}
	if n := len(s.buf) + len(p); n > cap(s.buf) {
		c := cap(s.buf)
		for c < n {
			c = min(max(2*c, 4096), s.max)
		}
		grown := make([]byte, len(s.buf), c)
		copy(grown, s.buf)
		s.buf = grown
	}
	s.buf = append(s.buf, p...)
}

// stringRest reads a string after its opening quote.
func (s *arrayScanner) stringRest() error {
	for {
		b, err := s.next()
		if err != nil {
			return err
		}
		s.keep(b)
		switch b {
		case '\\':
			if b, err = s.next(); err != nil {
				return err
			}
			s.keep(b)
		case '"':
			return nil
		}
	}
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
