package imaging

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// dicomHeader holds what cxrkit reads from a DICOM file's header. It is
// filled by scanDICOM, a small reader of DICOM Part 10 files written here
// rather than taken from a library, because the library we used trusted
// declared sizes: a 163-byte header could make it allocate gigabytes, and
// a NumberOfFrames of 2^35 overflowed its size arithmetic.
type dicomHeader struct {
	syntax        string
	rows, cols    int
	samples       int
	bitsAllocated int
	bitsStored    int
	signed        bool
	frames        int
	photometric   string
	slope         []float64
	intercept     []float64
	center, width []float64
	// pixelOffset and pixelLength locate the top-level PixelData value;
	// encapsulated pixel data has an undefined length.
	hasPixels    bool
	encapsulated bool
	pixelOffset  int64
	pixelLength  int64
}

// Tags cxrkit reads, as group<<16 | element.
const (
	tagTransferSyntax = 0x00020010
	tagSamples        = 0x00280002
	tagPhotometric    = 0x00280004
	tagFrames         = 0x00280008
	tagRows           = 0x00280010
	tagColumns        = 0x00280011
	tagBitsAllocated  = 0x00280100
	tagBitsStored     = 0x00280101
	tagPixelRep       = 0x00280103
	tagWindowCenter   = 0x00281050
	tagWindowWidth    = 0x00281051
	tagRescaleInt     = 0x00281052
	tagRescaleSlope   = 0x00281053
	tagPixelData      = 0x7FE00010
	tagItem           = 0xFFFEE000
	tagItemEnd        = 0xFFFEE00D
	tagSequenceEnd    = 0xFFFEE0DD
)

const (
	undefinedLength = 0xFFFFFFFF
	// maxValueBytes bounds the values cxrkit keeps (numbers and short
	// strings); a longer one is damage, not data.
	maxValueBytes = 1024
	// maxNesting bounds sequence nesting.
	maxNesting = 32
)

// Transfer syntaxes with native (uncompressed) pixel data.
const (
	syntaxImplicitLE = "1.2.840.10008.1.2"
	syntaxExplicitLE = "1.2.840.10008.1.2.1"
	syntaxExplicitBE = "1.2.840.10008.1.2.2"
	syntaxDeflated   = "1.2.840.10008.1.2.1.99"
)

type dicomScanner struct {
	r    *bufio.Reader
	off  int64
	size int64 // the file's size: no element may claim more than is left
}

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: DICOM %s", ErrMalformed, fmt.Sprintf(format, args...))
}

// scanDICOM reads a DICOM Part 10 header of a file of size bytes up to
// the top-level PixelData element (or the end). Every declared length is
// checked against the bytes left in the file before anything is read,
// and only the few values cxrkit uses are kept, so the cost is bounded by
// the file, whatever the header claims.
func scanDICOM(r io.Reader, size int64) (*dicomHeader, error) {
	s := &dicomScanner{r: bufio.NewReaderSize(r, 4096), size: size}
	var pre [132]byte
	if err := s.read(pre[:]); err != nil {
		return nil, err
	}
	if string(pre[128:]) != "DICM" {
		return nil, malformed("file has no DICM marker")
	}
	h := &dicomHeader{samples: 1, frames: 1}
	// The file meta group is always explicit VR little endian.
	for {
		grp, err := s.r.Peek(2)
		if err != nil || binary.LittleEndian.Uint16(grp) != 0x0002 {
			break
		}
		if _, err := s.element(h, false, binary.LittleEndian, 0); err != nil {
			return nil, err
		}
	}
	implicit, order := false, binary.ByteOrder(binary.LittleEndian)
	switch h.syntax {
	case syntaxImplicitLE:
		implicit = true
	case syntaxExplicitBE:
		order = binary.BigEndian
	case syntaxDeflated:
		return h, compressedError(h.syntax)
	}
	for !h.hasPixels {
		if _, err := s.r.Peek(1); errors.Is(err, io.EOF) {
			break
		}
		if _, err := s.element(h, implicit, order, 0); err != nil {
			return nil, err
		}
	}
	return h, nil
}

func (s *dicomScanner) read(b []byte) error {
	n, err := io.ReadFull(s.r, b)
	s.off += int64(n)
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return malformed("truncated at byte %d", s.off)
		}
		return err
	}
	return nil
}

func (s *dicomScanner) skip(n int64) error {
	m, err := s.r.Discard(int(n))
	s.off += int64(m)
	if err != nil {
		return malformed("truncated at byte %d", s.off)
	}
	return nil
}

// head reads an element's tag, VR and length. Item and delimiter tags
// have no VR in any syntax.
func (s *dicomScanner) head(implicit bool, order binary.ByteOrder) (tag uint32, vr string, length uint32, err error) {
	var b [8]byte
	if err := s.read(b[:4]); err != nil {
		return 0, "", 0, err
	}
	tag = uint32(order.Uint16(b[0:]))<<16 | uint32(order.Uint16(b[2:]))
	if tag>>16 == 0xFFFE || implicit {
		if err := s.read(b[:4]); err != nil {
			return 0, "", 0, err
		}
		return tag, "", order.Uint32(b[:4]), nil
	}
	if err := s.read(b[:2]); err != nil {
		return 0, "", 0, err
	}
	vr = string(b[:2])
	if vr[0] < 'A' || vr[0] > 'Z' || vr[1] < 'A' || vr[1] > 'Z' {
		return 0, "", 0, malformed("element (%04X,%04X) at byte %d has no valid VR", tag>>16, tag&0xFFFF, s.off-6)
	}
	switch vr {
	case "OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV":
		if err := s.read(b[:6]); err != nil {
			return 0, "", 0, err
		}
		return tag, vr, order.Uint32(b[2:6]), nil
	}
	if err := s.read(b[:2]); err != nil {
		return 0, "", 0, err
	}
	return tag, vr, uint32(order.Uint16(b[:2])), nil
}

// element reads one element at the given nesting depth, keeping the
// values cxrkit uses when at the top level, and returns its tag.
func (s *dicomScanner) element(h *dicomHeader, implicit bool, order binary.ByteOrder, depth int) (uint32, error) {
	tag, vr, length, err := s.head(implicit, order)
	if err != nil {
		return 0, err
	}
	if tag == tagItemEnd || tag == tagSequenceEnd {
		return tag, nil
	}
	if length == undefinedLength {
		if tag == tagPixelData && depth == 0 {
			h.hasPixels, h.encapsulated, h.pixelOffset, h.pixelLength = true, true, s.off, -1
			return tag, nil
		}
		if vr != "" && vr != "SQ" && vr != "UN" {
			return 0, malformed("element (%04X,%04X) with VR %s has an undefined length", tag>>16, tag&0xFFFF, vr)
		}
		// Contents of a UN of undefined length are implicit VR little
		// endian (PS3.5 6.2.2).
		if vr == "UN" {
			implicit, order = true, binary.LittleEndian
		}
		return tag, s.sequence(implicit, order, depth+1)
	}
	if left := s.size - s.off; int64(length) > left {
		return 0, malformed("element (%04X,%04X) declares %d bytes but the file has %d left", tag>>16, tag&0xFFFF, length, max(left, 0))
	}
	if tag == tagPixelData && depth == 0 {
		h.hasPixels, h.pixelOffset, h.pixelLength = true, s.off, int64(length)
		return tag, nil
	}
	if depth > 0 || !wantedTag(tag) {
		return tag, s.skip(int64(length))
	}
	if length > maxValueBytes {
		return 0, malformed("element (%04X,%04X) is %d bytes long", tag>>16, tag&0xFFFF, length)
	}
	val := make([]byte, length)
	if err := s.read(val); err != nil {
		return 0, err
	}
	return tag, h.set(tag, val, order)
}

// sequence skips the items of a sequence of undefined length, up to its
// delimiter.
func (s *dicomScanner) sequence(implicit bool, order binary.ByteOrder, depth int) error {
	if depth > maxNesting {
		return malformed("sequences nested more than %d deep", maxNesting)
	}
	for {
		tag, _, length, err := s.head(true, order)
		if err != nil {
			return err
		}
		switch {
		case tag == tagSequenceEnd:
			return nil
		case tag != tagItem:
			return malformed("sequence holds (%04X,%04X) where an item belongs", tag>>16, tag&0xFFFF)
		case length == undefinedLength:
			if err := s.item(implicit, order, depth); err != nil {
				return err
			}
		case int64(length) > s.size-s.off:
			return malformed("item declares %d bytes but the file has %d left", length, max(s.size-s.off, 0))
		default:
			if err := s.skip(int64(length)); err != nil {
				return err
			}
		}
	}
}

// item skips the elements of an item of undefined length, up to its
// delimiter.
func (s *dicomScanner) item(implicit bool, order binary.ByteOrder, depth int) error {
	var ignored dicomHeader
	for {
		tag, err := s.element(&ignored, implicit, order, depth)
		if err != nil {
			return err
		}
		if tag == tagItemEnd {
			return nil
		}
		if tag == tagSequenceEnd {
			return malformed("sequence ends inside an item")
		}
	}
}

func wantedTag(tag uint32) bool {
	switch tag {
	case tagTransferSyntax, tagSamples, tagPhotometric, tagFrames, tagRows, tagColumns, tagBitsAllocated,
		tagBitsStored, tagPixelRep, tagWindowCenter, tagWindowWidth, tagRescaleInt, tagRescaleSlope:
		return true
	}
	return false
}

// set keeps one header value.
func (h *dicomHeader) set(tag uint32, val []byte, order binary.ByteOrder) error {
	str := strings.Trim(string(val), " \x00")
	var err error
	switch tag {
	case tagTransferSyntax:
		h.syntax = str
	case tagPhotometric:
		h.photometric = str
	case tagFrames:
		if h.frames, err = strconv.Atoi(str); err != nil {
			return malformed("NumberOfFrames %q is not an integer", str)
		}
	case tagWindowCenter:
		h.center = decimals(str)
	case tagWindowWidth:
		h.width = decimals(str)
	case tagRescaleInt:
		h.intercept = decimals(str)
	case tagRescaleSlope:
		h.slope = decimals(str)
	default:
		var n int
		switch len(val) {
		case 2:
			n = int(order.Uint16(val))
		case 4:
			n = int(order.Uint32(val))
		default:
			return malformed("element (%04X,%04X) is %d bytes, want an unsigned short", tag>>16, tag&0xFFFF, len(val))
		}
		switch tag {
		case tagSamples:
			h.samples = n
		case tagRows:
			h.rows = n
		case tagColumns:
			h.cols = n
		case tagBitsAllocated:
			h.bitsAllocated = n
		case tagBitsStored:
			h.bitsStored = n
		case tagPixelRep:
			h.signed = n == 1
		}
	}
	return nil
}

// decimals parses a backslash-separated decimal string (DS) value,
// skipping parts that are not numbers.
func decimals(s string) []float64 {
	var out []float64
	for _, part := range strings.Split(s, `\`) {
		if f, err := strconv.ParseFloat(strings.Trim(part, " \x00"), 64); err == nil {
			out = append(out, f)
		}
	}
	return out
}
