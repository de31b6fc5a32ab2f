package dataset

import (
	"cmp"
	"slices"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/boxes"
	"github.com/cxrkit/cxrkit/labelmap"
)

// Left-out reasons: images read but not written to the corpus.
const (
	leftAmbiguous     = "ambiguous: positives marked but none survived min-readers"
	leftRejected      = "positive rows rejected and no positive left"
	leftNotExhaustive = "NIH: no mapped finding and no Data_Entry row"
	leftUnknown       = "no positive and some native labels unknown to the label map"
	leftBalance       = "normal image not sampled by --normal-ratio"
	leftUnmappedOnly  = "only labels outside the six-label space (--unmapped-only drop)"
	leftPartial       = "known only from non-exhaustive rows (VQA) and no mapped box"
)

// boxCounts are per-source box totals through the merge steps.
type boxCounts struct {
	Before          int `json:"boxes_before_merge"`
	AfterMerge      int `json:"boxes_after_merge"`
	DroppedReaders  int `json:"boxes_dropped_min_readers"`
	DroppedCross    int `json:"boxes_dropped_cross_label"`
	Final           int `json:"boxes_final"`
	BoxlessFindings int `json:"findings_without_box"`
}

// labeledFused is one fused box of a label. It keeps the box and its
// reader count, not the Fused's Members: those point into the Merger's
// scratch, which the next label's Merge overwrites.
type labeledFused struct {
	label   labelmap.Label
	box     boxes.Box
	readers int
}

// assemble applies the per-image rules of prepare to one image: merge each
// label's readings, drop boxes drawn by too few readers, resolve overlaps
// across labels by specificity, then decide the finding list. It returns
// the findings, or a left-out reason when the image must not be written.
func (p *preparer) assemble(a *imageAcc, bc *boxCounts) ([]cxrkit.Finding, string) {
	// fused and ranked are scratch, reused from image to image.
	fused := p.scratch.fused[:0]
	defer func() { p.scratch.fused = fused[:0] }()
	markedPositive := false
	for _, l := range labelmap.Positives() {
		if !a.boxed.has(l.Index()) {
			continue
		}
		r := p.images.readings.labelReadingsOf(a, l.Index(), p.scratch.readings[:0])
		p.scratch.readings = r[:0]
		markedPositive = true
		bc.Before += len(r)
		merged := p.scratch.merger.Merge(p.opts.Merge, r, p.opts.MergeIoU)
		bc.AfterMerge += len(merged)
		for _, f := range merged {
			if f.Readers < p.opts.MinReaders {
				bc.DroppedReaders++
				continue
			}
			fused = append(fused, labeledFused{l, f.Box, f.Readers})
		}
	}
	ranked := p.scratch.ranked[:0]
	for _, f := range fused {
		ranked = append(ranked, boxes.Ranked{Box: f.box, Rank: p.specificityRank(f.label)})
	}
	p.scratch.ranked = ranked[:0]
	if len(fused) == 0 && !a.anyBoxless() {
		return p.assembleEmpty(a, markedPositive)
	}
	keep := boxes.ResolveOverlaps(ranked, p.opts.CrossIoU)
	kept := 0
	for _, k := range keep {
		if k {
			kept++
		}
	}
	// The image's findings and boxes are cut from slabs.
	findings := p.scratch.findings.take(kept + a.countBoxless())[:0]
	var boxed [labelmap.NumLabels]bool
	slab := p.scratch.boxes.take(kept)[:0]
	for i, f := range fused {
		if !keep[i] {
			bc.DroppedCross++
			continue
		}
		slab = append(slab, f.box.Round(4))
		findings = append(findings, cxrkit.Finding{Label: f.label, Box: &slab[len(slab)-1], Readers: f.readers})
		boxed[f.label.Index()] = true
	}
	bc.Final += len(findings)
	boxedAny := len(findings) > 0
	for _, l := range labelmap.Positives() {
		if a.boxless.has(l.Index()) && !boxed[l.Index()] {
			findings = append(findings, cxrkit.Finding{Label: l})
			bc.BoxlessFindings++
		}
	}
	sortFindings(findings)
	if len(findings) > 0 {
		if !a.exhaustive && !boxedAny {
			// Rows that are not an exhaustive reading assert only boxes.
			return nil, leftPartial
		}
		return findings, ""
	}
	return p.assembleEmpty(a, markedPositive)
}

// anyBoxless reports whether a label is asserted without a box.
func (a *imageAcc) anyBoxless() bool { return a.countBoxless() > 0 }

// countBoxless counts the positive labels asserted without a box.
func (a *imageAcc) countBoxless() int {
	n := 0
	for _, l := range labelmap.Positives() {
		if a.boxless.has(l.Index()) {
			n++
		}
	}
	return n
}

// assembleEmpty decides an image without a finding: left out, or normal.
func (p *preparer) assembleEmpty(a *imageAcc, markedPositive bool) ([]cxrkit.Finding, string) {
	switch {
	case markedPositive:
		return nil, leftAmbiguous
	case a.rejectedPositive:
		return nil, leftRejected
	case a.unknownLabels:
		return nil, leftUnknown
	case !a.exhaustive && a.source == cxrkit.SourceNIH:
		return nil, leftNotExhaustive
	case !a.exhaustive:
		return nil, leftPartial
	case a.hasOther() && p.opts.UnmappedOnly == UnmappedDrop:
		return nil, leftUnmappedOnly
	}
	return p.noFindingList(), ""
}

// noFindingList is cxrkit.NoFindingList, one list shared by every normal
// image (most of the corpus): nothing changes a finding list once
// assemble made it, and the list has capacity 1, so appending to it
// never writes into another image's.
func (p *preparer) noFindingList() []cxrkit.Finding {
	if p.scratch.noFinding == nil {
		p.scratch.noFinding = slices.Clip(cxrkit.NoFindingList())
	}
	return p.scratch.noFinding
}

// assembleScratch is reused by assemble from image to image.
type assembleScratch struct {
	readings []boxes.Reading
	fused    []labeledFused
	ranked   []boxes.Ranked
	merger   boxes.Merger
	// findings and boxes are the slabs the images' finding lists and
	// boxes are cut from.
	findings slab[cxrkit.Finding]
	boxes    slab[boxes.Box]
	// noFinding is the finding list of every normal image.
	noFinding []cxrkit.Finding
	// ranks caches the vocabulary's specificity rank of each label
	// (rankOK), asked once per box.
	ranks  [labelmap.NumLabels]int
	rankOK bool
}

func (p *preparer) specificityRank(l labelmap.Label) int {
	if !l.Valid() {
		return slices.Index(p.vocab.Specificity(), l)
	}
	if !p.scratch.rankOK {
		spec := p.vocab.Specificity()
		for _, c := range labelmap.All() {
			p.scratch.ranks[c.Index()] = slices.Index(spec, c)
		}
		p.scratch.rankOK = true
	}
	return p.scratch.ranks[l.Index()]
}

// sortFindings orders findings canonically: by label, then boxes before
// box-less, then by box coordinates.
func sortFindings(fs []cxrkit.Finding) {
	slices.SortStableFunc(fs, func(a, b cxrkit.Finding) int {
		if c := cmp.Compare(a.Label.Index(), b.Label.Index()); c != 0 {
			return c
		}
		if (a.Box == nil) != (b.Box == nil) {
			if a.Box == nil {
				return 1
			}
			return -1
		}
		if a.Box == nil {
			return 0
		}
		aa, bb := a.Box.Array(), b.Box.Array()
		return slices.Compare(aa[:], bb[:])
	})
}
