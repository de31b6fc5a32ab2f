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
}

// maxReadingClass bounds the classes of arrays kept for reuse; longer
// lists grow without it.
const maxReadingClass = 12

// add appends a reading of label l to the image's list.
func (rl *readingLists) add(a *imageAcc, l labelmap.Label, b boxes.Box, reader string) {
	if len(a.readings) == cap(a.readings) {
		a.readings = rl.grow(a.readings)
	}
	a.readings = append(a.readings, labeledReading{l.Index(), boxes.Reading{Box: b, Reader: reader}})
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
			clear(old[:cap(old)]) // drop the readers' strings
			rl.free[k] = append(rl.free[k], old[:0])
		}
	}
	return s
}

// readingClass is k of a capacity firstReadings<<k.
func readingClass(n int) int { return bits.Len(uint(n/firstReadings)) - 1 }
