package dataset

import (
	"math/bits"

	"github.com/cxrkit/cxrkit/boxes"
	"github.com/cxrkit/cxrkit/labelmap"
)

// readingLists grows the images' reading lists. A list's capacity is
// firstReadings<<k; when a list is full, the image gets one twice as long
// and its old array goes to the next image that needs one of that length
// (a new image takes an outgrown first array). prepare runs at most one
// collection, so every array made is fresh memory to fault in: on the
// real VinDr annotations a third of the arrays were outgrown ones.
// Reuse is safe because an image's list is referenced only by the image:
// labelReadingsOf copies it out.
type readingLists struct {
	free [maxReadingClass][][]labeledReading // outgrown arrays by class k, length 0
	// readers numbers the readers' names as first met (a few radiologists
	// or one source name), byReader answers a name's number, and last is
	// the name numbered last asked for (rows often repeat their reader).
	readers  []string
	byReader map[string]uint32
	last     string
	lastN    uint32
}

// readerNumber is the number of reader's name.
func (rl *readingLists) readerNumber(reader string) uint32 {
	if reader == rl.last && rl.readers != nil {
		return rl.lastN
	}
	n, ok := rl.byReader[reader]
	if !ok {
		if rl.byReader == nil {
			rl.byReader = map[string]uint32{}
		}
		n = uint32(len(rl.readers))
		rl.readers = append(rl.readers, reader)
		rl.byReader[reader] = n
	}
	rl.last, rl.lastN = reader, n
	return n
}

// labelReadingsOf appends the readings of a's label index k to dst, in row
// order.
func (rl *readingLists) labelReadingsOf(a *imageAcc, k int, dst []boxes.Reading) []boxes.Reading {
	for _, r := range a.readings {
		if int(r.label) == k {
			dst = append(dst, boxes.Reading{Box: r.box, Reader: rl.readers[r.reader]})
		}
	}
	return dst
}

// maxReadingClass bounds the classes of arrays kept for reuse; longer
// lists grow without it.
const maxReadingClass = 12

// add appends a reading of label l to the image's list.
func (rl *readingLists) add(a *imageAcc, l labelmap.Label, b boxes.Box, reader string) {
	if len(a.readings) == cap(a.readings) {
		a.readings = rl.grow(a.readings)
	}
	a.readings = append(a.readings, labeledReading{box: b, reader: rl.readerNumber(reader), label: uint8(l.Index())})
	a.boxed.set(l.Index())
}

// grow returns a list with old's readings and twice its capacity
// (firstReadings for none), handing old's array on for reuse.
func (rl *readingLists) grow(old []labeledReading) []labeledReading {
	n := max(firstReadings, 2*cap(old))
	var s []labeledReading
	if k := readingClass(n); k < maxReadingClass && len(rl.free[k]) > 0 {
		last := len(rl.free[k]) - 1
		s, rl.free[k] = rl.free[k][last], rl.free[k][:last]
	} else {
		s = make([]labeledReading, 0, n)
	}
	s = append(s, old...)
	if old != nil {
		if k := readingClass(cap(old)); k < maxReadingClass {
			rl.free[k] = append(rl.free[k], old[:0])
		}
	}
	return s
}

// readingClass is k of a capacity firstReadings<<k.
func readingClass(n int) int { return bits.Len(uint(n/firstReadings)) - 1 }
