package dataset

import (
	"cmp"
	"maps"
	"math"
	"math/bits"
	"slices"
	"strings"
	"unsafe"

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

// imageAcc accumulates what the rows of one image say. There is one per
// image (tens of thousands, each written to fresh memory): what few images
// have (a patient, sizes stated by rows) is in facts, and the flags share
// one word (96 bytes, not 200).
type imageAcc struct {
	source cxrkit.Source
	id     string
	// facts are the image-level facts its rows state, nil when none did.
	facts *imageFacts
	// readings are the image's boxes in row order, each with its label's
	// index; boxed marks the labels that have one. One slice per image, not
	// one per label: most images have none, and the accumulator stays small.
	readings []labeledReading
	// other is the set of the image's native labels outside the six-label
	// space, by their number in the registry's otherNatives (the first 64
	// numbers; the rest, which no published dataset reaches, are listed in
	// facts.other). The corpus writes them sorted and deduplicated, so
	// the order rows named them in is not kept.
	other uint64
	// meta is the image's --vindr-meta size (hasMeta): a size file is read
	// before any row, and the image of each of its ids is made then.
	meta  Size
	boxed labelBits
	// boxless marks labels asserted without a box (NIH image-level labels,
	// VQA rows without a location).
	boxless labelBits
	// exhaustive is set when a row came from a reading of all the
	// source's classes: only such an image can be normal.
	exhaustive bool
	// normal is set when a reader or an image-level label said "no finding".
	normal  bool
	hasMeta bool
	// unseen marks an image only a size file named so far: it is not an
	// image of the corpus until a row names it.
	unseen bool
	// rejectedPositive is set when a positive row was rejected for this
	// image: if no positive survives, the image is ambiguous, never normal.
	rejectedPositive bool
	// unknownLabels is set when a row named a native label the map does
	// not know: such an image is never called normal on its account.
	unknownLabels bool
}

// labelBits is a set of labels, by index.
type labelBits uint8

// labelBits must hold every label.
const _ = uint8(1<<labelmap.NumLabels - 1)

func (s labelBits) has(k int) bool { return s&(1<<k) != 0 }

func (s *labelBits) set(k int) { *s |= 1 << k }

// imageFacts are the image-level facts rows state about an image.
type imageFacts struct {
	patient      string
	origW, origH int // original acquisition size (NIH Data_Entry, VinDr mirror rows)
	width        int // pixel size the rows' boxes are drawn in
	height       int
	// other lists the image's other labels numbered past maxOtherSet.
	other []string
}

// patient is the image's patient id, "" when unknown.
func (a *imageAcc) patient() string {
	if a.facts == nil {
		return ""
	}
	return a.facts.patient
}

// setPatient records the image's patient id.
func (a *imageAcc) setPatient(id string) {
	if a.facts == nil {
		if id == "" {
			return
		}
		a.facts = &imageFacts{}
	}
	a.facts.patient = id
}

// orig is the image's original size as rows stated it (zero when none did).
func (a *imageAcc) orig() (w, h int) {
	if a.facts == nil {
		return 0, 0
	}
	return a.facts.origW, a.facts.origH
}

// rowSize is the pixel size the image's rows drew their boxes in (zero
// when none said).
func (a *imageAcc) rowSize() (w, h int) {
	if a.facts == nil {
		return 0, 0
	}
	return a.facts.width, a.facts.height
}

// otherNatives numbers the native labels outside the six-label space in
// the order they are first met, so that an image's other labels are a set
// of numbers (a few distinct names recur on tens of thousands of rows).
type otherNatives struct {
	names []string
	index map[string]int
}

// maxOtherSet is how many numbers an image's other set holds.
const maxOtherSet = 64

// addOther records a native label outside the six-label space on a.
func (im *images) addOther(a *imageAcc, native string) {
	o := &im.others
	k, ok := o.index[native]
	if !ok {
		if o.index == nil {
			o.index = map[string]int{}
		}
		k = len(o.names)
		o.names = append(o.names, native)
		o.index[native] = k
	}
	if k < maxOtherSet {
		a.other |= 1 << k
		return
	}
	if a.facts == nil {
		a.facts = &imageFacts{}
	}
	// A repeat of the label before is skipped; otherLabels deduplicates.
	if n := len(a.facts.other); n == 0 || a.facts.other[n-1] != native {
		a.facts.other = append(a.facts.other, native)
	}
}

// hasOther reports whether the image has a label outside the six-label
// space.
func (a *imageAcc) hasOther() bool {
	return a.other != 0 || (a.facts != nil && len(a.facts.other) > 0)
}

// otherLabels returns the image's other labels (o numbers them) sorted and
// deduplicated, in dst's memory when it has room; nil for none.
func (a *imageAcc) otherLabels(o *otherNatives, dst []string) []string {
	if !a.hasOther() {
		return nil
	}
	out := dst[:0]
	for s := a.other; s != 0; s &= s - 1 {
		out = append(out, o.names[bits.TrailingZeros64(s)])
	}
	if a.facts != nil {
		out = append(out, a.facts.other...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// labeledReading is one box of an image with its label's index and its
// reader's number (see readingLists.readerNumber): 40 bytes and no
// pointer, where a boxes.Reading with its reader's name was 56.
type labeledReading struct {
	box    boxes.Box
	reader uint32
	label  uint8
}

// firstReadings is the capacity of an image's first reading list: VinDr
// has three readers per image, room for their boxes at once.
const firstReadings = 4

// hasBox reports whether an equal box (within half the corpus rounding
// unit) is already recorded for l.
func (a *imageAcc) hasBox(l labelmap.Label, b boxes.Box) bool {
	const eps = 5e-5
	for _, r := range a.readings {
		if int(r.label) != l.Index() {
			continue
		}
		o := r.box
		if math.Abs(o.Y0-b.Y0) <= eps && math.Abs(o.X0-b.X0) <= eps && math.Abs(o.Y1-b.Y1) <= eps && math.Abs(o.X1-b.X1) <= eps {
			return true
		}
	}
	return false
}

// images holds the accumulators of every source's images, one map per
// source keyed by image id: a row costs one lookup of its id (not of a
// source and id pair), and the source's map is remembered from the row
// before, since a file's rows all come from one source. The image of the
// row before is remembered too: a row's box size asks for the image its
// row was just applied to. Accumulators are allocated in slabs.
type images struct {
	bySource   map[cxrkit.Source]map[string]*imageAcc
	lastSource cxrkit.Source
	last       map[string]*imageAcc
	lastAcc    *imageAcc
	slab       []imageAcc
	// ids holds the image ids, copied out of the rows they came in, side by
	// side: the map's key comparisons read them from a few pages, and the
	// rows' lines are not kept alive by an id.
	ids stringChunks
	// hint is the expected number of images of a source, to size its map.
	hint map[cxrkit.Source]int
	// readings grows the images' reading lists.
	readings readingLists
	// others numbers the native labels outside the six-label space.
	others otherNatives
}

// accSlab is how many accumulators one allocation holds: as many as fill
// 64 KiB, a whole number of the heap's pages (a slab of 256 took 59,392
// bytes and was given 65,536).
const accSlab = 64 << 10 / unsafe.Sizeof(imageAcc{})

// maxImagesHint bounds the map a hint pre-sizes.
const maxImagesHint = 1 << 20

func newImages() *images {
	return &images{bySource: map[cxrkit.Source]map[string]*imageAcc{}, hint: map[cxrkit.Source]int{}, ids: stringChunks{chunk: idChunk}}
}

// expect says how many images of source to expect (a size file's rows),
// before the first of them is added.
func (im *images) expect(source cxrkit.Source, n int) {
	im.hint[source] = min(n, maxImagesHint)
}

func (im *images) source(source cxrkit.Source, create bool) map[string]*imageAcc {
	if im.last != nil && im.lastSource == source {
		return im.last
	}
	m := im.bySource[source]
	if m == nil {
		if !create {
			return nil
		}
		m = make(map[string]*imageAcc, im.hint[source])
		im.bySource[source] = m
	}
	im.lastSource, im.last = source, m
	return m
}

func (im *images) get(source cxrkit.Source, id string) *imageAcc {
	if a := im.lastAcc; a != nil && a.id == id && a.source == source {
		return a
	}
	m := im.source(source, true)
	a := m[id]
	if a == nil {
		a = im.add(m, source, im.ids.clone(id))
	}
	a.unseen = false
	im.lastAcc = a
	return a
}

// getView is get of an id that is a view of a reader's buffer: the id is
// copied only when the image is new.
func (im *images) getView(source cxrkit.Source, id []byte) *imageAcc {
	if a := im.lastAcc; a != nil && a.id == string(id) && a.source == source {
		return a
	}
	m := im.source(source, true)
	a := m[string(id)]
	if a == nil {
		a = im.add(m, source, im.ids.cloneBytes(id))
	}
	a.unseen = false
	im.lastAcc = a
	return a
}

// putMeta records the size a size file gives image id (a view, copied
// when new) of source, before any row is read; the image is unseen until
// a row names it. It reports whether id is new.
func (im *images) putMeta(source cxrkit.Source, id []byte, s Size) bool {
	m := im.source(source, true)
	a := m[string(id)]
	added := a == nil
	if added {
		a = im.add(m, source, im.ids.cloneBytes(id))
		a.unseen = true
	}
	a.meta, a.hasMeta = s, true
	return added
}

// metaOf is the size file's size of image id of source, seen or not.
func (im *images) metaOf(source cxrkit.Source, id string) (Size, bool) {
	if a := im.source(source, false)[id]; a != nil && a.hasMeta {
		return a.meta, true
	}
	return Size{}, false
}

// add creates the accumulator of a new image in m, the map of source,
// keyed by key, the registry's own copy of its id.
func (im *images) add(m map[string]*imageAcc, source cxrkit.Source, key string) *imageAcc {
	if len(im.slab) == cap(im.slab) {
		im.slab = make([]imageAcc, 0, accSlab)
	}
	im.slab = append(im.slab, imageAcc{source: source, id: key})
	a := &im.slab[len(im.slab)-1]
	m[key] = a
	return a
}

func (im *images) lookup(source cxrkit.Source, id string) *imageAcc {
	if a := im.lastAcc; a != nil && a.id == id && a.source == source {
		return a
	}
	return seen(im.source(source, false)[id])
}

// seen is a, nil when it is unseen.
func seen(a *imageAcc) *imageAcc {
	if a != nil && a.unseen {
		return nil
	}
	return a
}

// lookupView is lookup of an id that is a view of a reader's buffer.
func (im *images) lookupView(source cxrkit.Source, id []byte) *imageAcc {
	if a := im.lastAcc; a != nil && a.id == string(id) && a.source == source {
		return a
	}
	return seen(im.source(source, false)[string(id)])
}

// sorted returns every accumulator, by source and then by id.
func (im *images) sorted() []*imageAcc {
	sources := slices.Sorted(maps.Keys(im.bySource))
	n := 0
	for _, m := range im.bySource {
		n += len(m)
	}
	out := make([]*imageAcc, 0, n)
	// Ids are sorted by their first 8 bytes, as numbers next to their
	// accumulators, so a comparison goes through the accumulator's pointer
	// only to tell apart ids that share those bytes.
	largest := 0
	for _, m := range im.bySource {
		largest = max(largest, len(m))
	}
	byID := make([]idAcc, 0, largest)
	for _, src := range sources {
		byID = byID[:0]
		for id, a := range im.bySource[src] {
			if !a.unseen {
				byID = append(byID, idAcc{idPrefix(id), a})
			}
		}
		slices.SortFunc(byID, func(a, b idAcc) int {
			if a.prefix != b.prefix {
				return cmp.Compare(a.prefix, b.prefix)
			}
			return strings.Compare(a.acc.id, b.acc.id)
		})
		for _, x := range byID {
			out = append(out, x.acc)
		}
	}
	return out
}

type idAcc struct {
	prefix uint64 // idPrefix(acc.id): orders as the id does, when it differs
	acc    *imageAcc
}

// idPrefix is the first 8 bytes of id as a big-endian number, zero-padded:
// a < b between two prefixes means id a < id b, and equal prefixes leave
// the order to the whole ids. Comparing it needs no read of the id's bytes.
func idPrefix(id string) uint64 {
	var p uint64
	for i := range 8 {
		p <<= 8
		if i < len(id) {
			p |= uint64(id[i])
		}
	}
	return p
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
			if !a.unseen {
				out = append(out, a)
			}
		}
	}
	return out
}

// setFacts records the image-level facts a row states.
func (a *imageAcc) setFacts(r row) {
	if r.patient == "" && r.orig.Width <= 0 && r.orig.Height <= 0 && (r.size.Width <= 0 || r.size.Height <= 0) {
		return
	}
	if a.facts == nil {
		a.facts = &imageFacts{}
	}
	f := a.facts
	if r.patient != "" && f.patient == "" {
		f.patient = r.patient
	}
	if r.orig.Width > 0 {
		f.origW = r.orig.Width
	}
	if r.orig.Height > 0 {
		f.origH = r.orig.Height
	}
	if r.size.Width > 0 && r.size.Height > 0 {
		f.width, f.height = r.size.Width, r.size.Height
	}
}
