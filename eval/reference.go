package eval

import (
	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/boxes"
	"github.com/cxrkit/cxrkit/labelmap"
)

// ReferenceCompat reports figures the way the reference project (the
// seed model's published evaluation) computed them, beside cxrkit's, so a
// published number can be reproduced and the gap seen:
//
//   - localization: per label, every predicted box is matched against
//     every gold box of the whole evaluation set at once (boxes pooled
//     across images, so a box may match a gold box of another image),
//     and the rate is matched gold boxes over all gold boxes;
//   - macro F1: the mean over labels whose precision and recall are both
//     defined only (cxrkit's macro_f1 also counts labels that were
//     predicted but never in gold, or in gold but never predicted).
//
// This is cxrkit's reading of the reference's description, not a port of
// its code; the figures are not cxrkit's and are never its headline.
type ReferenceCompat struct {
	Note         string                    `json:"note"`
	Localization Ordered[*RefLocalization] `json:"localization"`
	MacroF1      *float64                  `json:"macro_f1"`
	MacroLabels  []labelmap.Label          `json:"macro_f1_labels"`
	// CxrkitMacroF1 is cxrkit's macro_f1, for the side-by-side view.
	CxrkitMacroF1 *float64 `json:"cxrkit_macro_f1"`
}

// RefLocalization is one threshold's pooled rate beside cxrkit's.
type RefLocalization struct {
	TP         int      `json:"tp"`
	FN         int      `json:"fn"`
	FP         int      `json:"fp"`
	Rate       *float64 `json:"rate"`
	CxrkitRate *float64 `json:"cxrkit_rate"`
	// Difference is Rate − CxrkitRate.
	Difference *float64 `json:"difference"`
}

// pooledBoxes are the boxes of every image, per positive label.
type pooledBoxes struct {
	gold, pred [labelmap.NumLabels][]boxes.Box
}

func (p *pooledBoxes) add(gold, pred []cxrkit.Finding) {
	for _, l := range labelmap.Positives() {
		p.gold[l.Index()] = append(p.gold[l.Index()], boxesOf(gold, l)...)
		p.pred[l.Index()] = append(p.pred[l.Index()], boxesOf(pred, l)...)
	}
}

func (d *Dataset) referenceCompat(r *ImageReport) *ReferenceCompat {
	rc := &ReferenceCompat{Note: "the reference project's way, for comparison with its published numbers: " +
		"boxes pooled across images for localization, macro F1 over labels with defined precision and recall only; " +
		"cxrkit's own figures are the ones above",
		MacroF1: r.Presence.MacroF1Defined, MacroLabels: r.Presence.MacroDefinedLabels, CxrkitMacroF1: r.Presence.MacroF1}
	for _, t := range d.c.thresholds {
		key := thresholdKey(t)
		loc := &RefLocalization{}
		for _, l := range labelmap.Positives() {
			g, p := d.pooled.gold[l.Index()], d.pooled.pred[l.Index()]
			n := len(boxes.Match(p, g, t))
			loc.TP += n
			loc.FN += len(g) - n
			loc.FP += len(p) - n
		}
		loc.Rate = ratio(loc.TP, loc.TP+loc.FN)
		if own, ok := r.Localization.Get(key); ok {
			loc.CxrkitRate = own.Rate
		}
		if loc.Rate != nil && loc.CxrkitRate != nil {
			diff := *loc.Rate - *loc.CxrkitRate
			loc.Difference = &diff
		}
		rc.Localization.Set(key, loc)
	}
	return rc
}
