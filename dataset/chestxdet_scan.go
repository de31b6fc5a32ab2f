package dataset

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
)

// maxScanDepth bounds the nesting recordScanner follows; deeper elements
// (encoding/json allows 10000) take the encoding/json path.
const maxScanDepth = 512

// recordScanner reads a ChestX-Det record in one pass over its bytes: it
// checks the JSON grammar of the whole element, as json.Valid does, and
// decodes file_name, syms and boxes, skipping polygons and any other
// member without decoding them. It is deliberately narrow: whatever it is
// not certain encoding/json would decode the same way (escapes, keys that
// match a field only case-insensitively, repeated fields, a field of
// another type, bytes outside ASCII, deep nesting) makes it give up, and
// the caller decodes the element with encoding/json as before, so errors
// and odd records are read and reported exactly as they always were.
type recordScanner struct {
	b     []byte
	i     int
	stack []byte // closing brackets of the containers being skipped
	boxes [][2]int
	syms  []string          // scratch for stringList
	names map[string]string // interned syms: a dataset has a handful
	// symsOut, vals and own hold the decoded record's syms, boxes and the
	// boxes' bytes, reused by the next record: a record is valid until
	// the next call (its reader emits it before reading on).
	symsOut []string
	vals    []json.RawMessage
	own     []byte
}

// maxInterned bounds the strings recordScanner interns.
const maxInterned = 256

// intern returns b as a string, the same string each time for the first
// maxInterned distinct values.
func (s *recordScanner) intern(b []byte) string {
	if v, ok := s.names[string(b)]; ok {
		return v
	}
	v := string(b)
	if s.names == nil {
		s.names = map[string]string{}
	}
	if len(s.names) < maxInterned {
		s.names[v] = v
	}
	return v
}

// chestXDetRecord decodes the record at the start of b into rec,
// returning its length and whether it could (b may run on past the
// record). Box values are copied out of b, which may be reused after the
// call, into the scanner's memory: rec's lists are valid until the next
// call.
func (s *recordScanner) chestXDetRecord(b []byte, rec *chestXDetRecord) (int, bool) {
	*rec = chestXDetRecord{}
	s.b, s.i, s.boxes = b, 0, s.boxes[:0]
	if len(b) == 0 || b[0] != '{' {
		return 0, false
	}
	s.i = 1
	if !s.record(rec) {
		return 0, false
	}
	return s.i, true
}

// record reads the members of a record after its '{', up to its '}'.
func (s *recordScanner) record(rec *chestXDetRecord) bool {
	var seen [3]bool
	var boxesFrom int
	if !s.want('}') {
		for {
			key, ok := s.plainString()
			if !ok || !s.want(':') {
				return false
			}
			s.space()
			switch string(key) {
			case "file_name":
				if seen[0] || !s.stringOrNull(&rec.FileName) {
					return false
				}
				seen[0] = true
			case "syms":
				if seen[1] || !s.stringList(&rec.Syms) {
					return false
				}
				seen[1] = true
			case "boxes":
				boxesFrom = s.i
				if seen[2] || !s.values(&rec.Boxes) {
					return false
				}
				seen[2] = true
			default:
				if foldsToRecordField(key) || !s.skipValue() {
					return false
				}
			}
			if s.want(',') {
				continue
			}
			if s.want('}') {
				break
			}
			return false
		}
	}
	if len(s.boxes) > 0 {
		// One copy of the boxes array holds every box.
		own := append(s.own[:0], s.b[boxesFrom:s.boxes[len(s.boxes)-1][1]]...)
		s.own = own
		for k, span := range s.boxes {
			rec.Boxes[k] = own[span[0]-boxesFrom : span[1]-boxesFrom : span[1]-boxesFrom]
		}
	}
	return true
}

// foldsToRecordField reports whether a key other than the three fields
// could still be matched to one by encoding/json (which matches keys
// case-insensitively, with Unicode folding), or holds an escape.
func foldsToRecordField(key []byte) bool {
	for _, c := range key {
		if c >= 0x80 || c == '\\' {
			return true
		}
	}
	k := string(key)
	return strings.EqualFold(k, "file_name") || strings.EqualFold(k, "syms") || strings.EqualFold(k, "boxes")
}

// space skips JSON whitespace.
func (s *recordScanner) space() {
	for s.i < len(s.b) && jsonSpace[s.b[s.i]] {
		s.i++
	}
}

// want skips whitespace and then c, reporting whether c was there.
func (s *recordScanner) want(c byte) bool {
	s.space()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// plainString reads a string of printable ASCII without escapes (after
// whitespace), returning its contents.
func (s *recordScanner) plainString() ([]byte, bool) {
	s.space()
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return nil, false
	}
	from := s.i + 1
	for j := from; j < len(s.b); j++ {
		switch c := s.b[j]; {
		case c == '"':
			s.i = j + 1
			return s.b[from:j], true
		case c < 0x20 || c >= 0x80 || c == '\\':
			return nil, false
		}
	}
	return nil, false
}

// stringOrNull reads a plain string into v, or null, which leaves v as it
// is (as encoding/json does).
func (s *recordScanner) stringOrNull(v *string) bool {
	if s.literal("null") {
		return true
	}
	str, ok := s.plainString()
	if ok {
		*v = string(str)
	}
	return ok
}

// stringList reads null (nil) or an array of plain strings.
func (s *recordScanner) stringList(v *[]string) bool {
	if s.literal("null") {
		return true
	}
	if !s.want('[') {
		return false
	}
	out := s.syms[:0]
	if !s.want(']') {
		for {
			str, ok := s.plainString()
			if !ok {
				return false
			}
			out = append(out, s.intern(str))
			if s.want(',') {
				continue
			}
			if s.want(']') {
				break
			}
			return false
		}
	}
	s.syms = out[:0]
	if s.symsOut == nil {
		s.symsOut = make([]string, 0, 4) // never nil: encoding/json gives [] for an empty array
	}
	*v = append(s.symsOut[:0], out...)
	s.symsOut = *v
	return true
}

// values reads null (nil) or an array of any JSON values, each kept as
// its bytes (spans into s.b, recorded in s.boxes).
func (s *recordScanner) values(v *[]json.RawMessage) bool {
	if s.literal("null") {
		return true
	}
	if !s.want('[') {
		return false
	}
	if !s.want(']') {
		for {
			s.space()
			from := s.i
			if !s.skipValue() {
				return false
			}
			s.boxes = append(s.boxes, [2]int{from, s.i})
			if s.want(',') {
				continue
			}
			if s.want(']') {
				break
			}
			return false
		}
	}
	if s.vals == nil {
		s.vals = make([]json.RawMessage, 0, 4) // never nil, as for syms
	}
	*v = slices.Grow(s.vals[:0], len(s.boxes))[:len(s.boxes)]
	s.vals = *v
	return true
}

// literal skips whitespace and then word, if it is there.
func (s *recordScanner) literal(word string) bool {
	s.space()
	if bytes.HasPrefix(s.b[s.i:], []byte(word)) {
		s.i += len(word)
		return true
	}
	return false
}

// skipValue checks the grammar of the value at s.i (after whitespace) and
// moves past it, without recursion: s.stack holds the closing bracket of
// every open container. It is the hot loop of a ChestX-Det record (the
// polygons), so whitespace and numbers are scanned inline.
func (s *recordScanner) skipValue() bool {
	b, i := s.b, s.i
	stack := s.stack[:0]
	for {
		// A value.
		for i < len(b) && jsonSpace[b[i]] {
			i++
		}
		if i >= len(b) {
			return false
		}
		switch c := b[i]; {
		case c == '{' || c == '[':
			if len(stack) == maxScanDepth {
				return false
			}
			closing := byte(']')
			if c == '{' {
				closing = '}'
			}
			for i++; i < len(b) && jsonSpace[b[i]]; i++ {
			}
			if i < len(b) && b[i] == closing {
				i++
				break // an empty container is a whole value
			}
			stack = append(stack, closing)
			if c == '{' {
				s.i = i
				if !s.memberKey() {
					return false
				}
				i = s.i
			}
			continue
		case c == '-' || c >= '0' && c <= '9':
			if i = numberEnd(b, i); i < 0 {
				return false
			}
		case c == '"':
			s.i = i
			if !s.skipString() {
				return false
			}
			i = s.i
		case c == 't' && bytes.HasPrefix(b[i:], []byte("true")):
			i += 4
		case c == 'f' && bytes.HasPrefix(b[i:], []byte("false")):
			i += 5
		case c == 'n' && bytes.HasPrefix(b[i:], []byte("null")):
			i += 4
		default:
			return false
		}
		// After a value: close containers until one goes on.
		for {
			if len(stack) == 0 {
				s.i, s.stack = i, stack // the stack's array is kept for the next value
				return true
			}
			for i < len(b) && jsonSpace[b[i]] {
				i++
			}
			if i >= len(b) {
				return false
			}
			closing := stack[len(stack)-1]
			if b[i] == ',' {
				i++
				if closing == '}' {
					s.i = i
					if !s.memberKey() {
						return false
					}
					i = s.i
					break
				}
				// An array of numbers (polygon points) stays in this loop.
				for i < len(b) && jsonSpace[b[i]] {
					i++
				}
				if i < len(b) && (b[i] == '-' || b[i] >= '0' && b[i] <= '9') {
					if i = numberEnd(b, i); i < 0 {
						return false
					}
					continue
				}
				break
			}
			if b[i] != closing {
				return false
			}
			i++
			stack = stack[:len(stack)-1]
		}
	}
}

// jsonSpace marks JSON's whitespace bytes.
var jsonSpace = [256]bool{' ': true, '\t': true, '\n': true, '\r': true}

// memberKey reads an object member's key and colon.
func (s *recordScanner) memberKey() bool {
	s.space()
	if s.i >= len(s.b) || s.b[s.i] != '"' || !s.skipString() {
		return false
	}
	return s.want(':')
}

// skipString moves past the string at s.i, checking its escapes. Bytes
// outside ASCII end the scan: UTF-8 is checked on the encoding/json path.
func (s *recordScanner) skipString() bool {
	for j := s.i + 1; j < len(s.b); j++ {
		switch c := s.b[j]; {
		case c == '"':
			s.i = j + 1
			return true
		case c == '\\':
			j++
			if j >= len(s.b) {
				return false
			}
			switch s.b[j] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if j+4 >= len(s.b) || !isHex(s.b[j+1]) || !isHex(s.b[j+2]) || !isHex(s.b[j+3]) || !isHex(s.b[j+4]) {
					return false
				}
				j += 4
			default:
				return false
			}
		case c < 0x20 || c >= 0x80:
			return false
		}
	}
	return false
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// numberEnd is the offset just past the number in JSON's grammar that
// starts at b[i], or -1.
func numberEnd(b []byte, i int) int {
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i >= len(b):
		return -1
	case b[i] == '0':
		i++
	case b[i] >= '1' && b[i] <= '9':
		for i++; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		}
	default:
		return -1
	}
	if i < len(b) && b[i] == '.' {
		i++
		from := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == from {
			return -1
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		from := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == from {
			return -1
		}
	}
	return i
}
