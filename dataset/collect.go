package dataset

import (
	"math"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/boxes"
	"github.com/cxrkit/cxrkit/labelmap"
)

// Input kinds accounted for in the report (VQA rows join VinDr images but
// are counted on their own).
const (
	inputVinDr     = "vindr"
	inputVQA       = "vqa"
	inputNIH       = "nih"
	inputChestXDet = "chestxdet"
)

// imageAcc accumulates what the rows of one image say.
type imageAcc struct {
	source  cxrkit.Source
	id      string
	patient string
	view    string
	origW   int
	origH   int
	width   int
	height  int
	// readings per canonical label index, in row order.
	readings [labelmap.NumLabels][]boxes.Reading
	// boxless marks labels asserted without a box (NIH image-level labels,
	// VQA rows without a location).
	boxless [labelmap.NumLabels]bool
	// other holds the native labels outside the six-label space.
	other map[string]struct{}
	// exhaustive is set when a row came from a reading of all the
	// source's classes: only such an image can be normal.
	exhaustive bool
	// normal is set when a reader or an image-level label said "no finding".
	normal bool
	// rejectedPositive counts positive rows rejected for this image: if no
	// positive survives, the image is ambiguous, never normal.
	rejectedPositive int
	// unknownLabels counts rows whose native label the map does not know:
	// such an image is never called normal on their account.
	unknownLabels int
	// hasEntry is set for NIH images with a Data_Entry row.
	hasEntry bool
}

func (a *imageAcc) addReading(l labelmap.Label, b boxes.Box, reader string) {
	a.readings[l.Index()] = append(a.readings[l.Index()], boxes.Reading{Box: b, Reader: reader})
}

// hasBox reports whether an equal box (within half the corpus rounding
// unit) is already recorded for l.
func (a *imageAcc) hasBox(l labelmap.Label, b boxes.Box) bool {
	const eps = 5e-5
	for _, r := range a.readings[l.Index()] {
		o := r.Box
		if math.Abs(o.Y0-b.Y0) <= eps && math.Abs(o.X0-b.X0) <= eps && math.Abs(o.Y1-b.Y1) <= eps && math.Abs(o.X1-b.X1) <= eps {
			return true
		}
	}
	return false
}

// images holds the accumulators of every source's images, one map per
// source keyed by image id: a row costs one lookup of its id (not of a
// source and id pair), and the source's map is remembered from the row
// before, since a file's rows all come from one source.
type images struct {
	bySource   map[cxrkit.Source]map[string]*imageAcc
	lastSource cxrkit.Source
	last       map[string]*imageAcc
}

func newImages() *images { return &images{bySource: map[cxrkit.Source]map[string]*imageAcc{}} }

func (im *images) source(source cxrkit.Source, create bool) map[string]*imageAcc {
	if im.last != nil && im.lastSource == source {
		return im.last
	}
	m := im.bySource[source]
	if m == nil {
		if !create {
			return nil
		}
		m = map[string]*imageAcc{}
		im.bySource[source] = m
	}
	im.lastSource, im.last = source, m
	return m
}

func (im *images) get(source cxrkit.Source, id string) *imageAcc {
	m := im.source(source, true)
	a := m[id]
	if a == nil {
		a = &imageAcc{source: source, id: id}
		m[id] = a
	}
	return a
}

func (im *images) lookup(source cxrkit.Source, id string) *imageAcc {
	return im.source(source, false)[id]
}

// all returns every accumulator, in no particular order.
func (im *images) all() []*imageAcc {
	n := 0
	for _, m := range im.bySource {
		n += len(m)
	}
	out := make([]*imageAcc, 0, n)
	for _, m := range im.bySource {
		for _, a := range m {
			out = append(out, a)
		}
	}
	return out
}

// setFacts records the image-level facts a row states.
func (a *imageAcc) setFacts(r row) {
	if r.patient != "" && a.patient == "" {
		a.patient = r.patient
	}
	if r.view != "" {
		a.view = r.view
	}
	if r.orig.Width > 0 {
		a.origW = r.orig.Width
	}
	if r.orig.Height > 0 {
		a.origH = r.orig.Height
	}
	if r.size.Width > 0 && r.size.Height > 0 {
		a.width, a.height = r.size.Width, r.size.Height
	}
	if r.hasEntry {
		a.hasEntry = true
	}
}
