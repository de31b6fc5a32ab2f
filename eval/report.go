package eval

import (
	"fmt"
	"slices"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/labelmap"
)

// ImageReport is report.json of image mode.
type ImageReport struct {
	NImages              int                    `json:"n_images"`
	ParseFailures        int                    `json:"parse_failures"`
	MissingPredictions   int                    `json:"missing_predictions"`
	UnmatchedPredictions int                    `json:"unmatched_predictions"`
	Failures             Failures               `json:"failures"`
	Presence             Presence               `json:"presence"`
	Localization         Ordered[*Localization] `json:"localization"`
	MeanIoUMatched       *float64               `json:"mean_iou_matched"`
	MeanIoUThreshold     float64                `json:"mean_iou_threshold"`
	UrgentRecall         Ordered[*UrgentRecall] `json:"urgent_recall"`
	Bootstrap            BootstrapInfo          `json:"bootstrap"`
	// ReferenceCompat is set by --reference-compat.
	ReferenceCompat *ReferenceCompat `json:"reference_compat,omitempty"`
	// BySource breaks the headline figures down by dataset (VinDr, NIH,
	// ChestX-Det), without intervals.
	BySource Ordered[*SourceRow] `json:"by_source"`
	// Provenance records what produced the report (set by the caller;
	// in a comparison, on the CompareReport only).
	Provenance *cxrkit.Provenance `json:"provenance,omitempty"`
	Disclaimer string             `json:"disclaimer"`
}

// SourceRow is one dataset's share of an image-mode report.
type SourceRow struct {
	Images       int               `json:"images"`
	Failed       int               `json:"failed"`
	MacroF1      *float64          `json:"macro_f1"`
	Localization Ordered[*float64] `json:"localization_rate"`
	UrgentRecall Ordered[*float64] `json:"urgent_recall"`
}

// Presence is per-label presence detection over images.
type Presence struct {
	PerLabel           Ordered[*LabelPresence] `json:"per_label"`
	MacroF1            *float64                `json:"macro_f1"`
	MacroF1CI          *[2]float64             `json:"macro_f1_ci"`
	MacroLabels        []labelmap.Label        `json:"macro_f1_labels"`
	MacroF1Defined     *float64                `json:"macro_f1_defined_only"`
	MacroF1DefinedCI   *[2]float64             `json:"macro_f1_defined_only_ci"`
	MacroDefinedLabels []labelmap.Label        `json:"macro_f1_defined_only_labels"`
	Reason             string                  `json:"reason,omitempty"`
}

// LabelPresence is one label's presence counts and rates.
type LabelPresence struct {
	Counts
	F1CI   *[2]float64 `json:"f1_ci"`
	Reason string      `json:"reason,omitempty"`
}

// Localization is box matching at one IoU threshold.
type Localization struct {
	BoxCounts
	RateCI   *[2]float64        `json:"rate_ci"`
	PerLabel Ordered[*LocLabel] `json:"per_label"`
	Reason   string             `json:"reason,omitempty"`
}

// LocLabel is one label's localization at a threshold.
type LocLabel struct {
	BoxCounts
	RateCI *[2]float64 `json:"rate_ci"`
	Reason string      `json:"reason,omitempty"`
}

// UrgentRecall is k of n gold-positive images predicted positive.
type UrgentRecall struct {
	K      int         `json:"k"`
	N      int         `json:"n"`
	Recall *float64    `json:"recall"`
	CI     *[2]float64 `json:"ci"`
	Reason string      `json:"reason,omitempty"`
}

// BootstrapInfo records how intervals were computed.
type BootstrapInfo struct {
	Resamples int    `json:"resamples"`
	Seed      int64  `json:"seed"`
	Method    string `json:"method"`
}

// Evaluate computes the image-mode report.
func Evaluate(d *Dataset, o ImageOptions) *ImageReport {
	o = o.withDefaults()
	var res [][]*float64
	if o.Bootstrap > 0 {
		res = resampleStats([]*Dataset{d}, o.Bootstrap, o.Seed, o.Progress)[0]
	}
	return d.report(o, res)
}

func (d *Dataset) total() []int64 {
	all := make([]int, d.Len())
	for i := range all {
		all[i] = i
	}
	sum := make([]int64, d.c.size())
	d.sum(all, sum)
	return sum
}

func (d *Dataset) report(o ImageOptions, res [][]*float64) *ImageReport {
	c := d.c
	sum := d.total()
	idx := map[statKey]int{}
	for i, k := range c.statKeys() {
		idx[k] = i
	}
	ci := func(k statKey) *[2]float64 {
		if res == nil {
			return nil
		}
		return percentileCI(res, idx[k])
	}
	r := &ImageReport{NImages: d.Len(), ParseFailures: d.ParseFailures, MissingPredictions: d.Missing,
		UnmatchedPredictions: d.Unmatched, Failures: d.failures, Disclaimer: cxrkit.Disclaimer,
		MeanIoUThreshold: c.thresholds[0]}
	r.Failures.SetWarnAbove(o.WarnFailedShare)
	r.BySource = d.bySource(idx)
	if res != nil {
		r.Bootstrap = BootstrapInfo{Resamples: len(res), Seed: o.Seed, Method: "percentile 95% interval, images resampled with replacement"}
	}
	for _, l := range labelmap.Positives() {
		i := l.Index()
		lp := &LabelPresence{Counts: Counts{TP: int(sum[c.pres(i, tp)]), FP: int(sum[c.pres(i, fp)]), FN: int(sum[c.pres(i, fn)])}}
		lp.finish()
		lp.F1CI = ci(statKey{kind: statF1, label: l})
		switch {
		case lp.TP+lp.FP+lp.FN == 0:
			lp.Reason = "no gold and no predicted positives: precision, recall and F1 undefined"
		case lp.N == 0:
			lp.Reason = "no gold positives: recall undefined"
		case lp.TP+lp.FP == 0:
			lp.Reason = "never predicted: precision undefined"
		}
		r.Presence.PerLabel.Set(string(l), lp)
		if lp.TP+lp.FP+lp.FN > 0 {
			r.Presence.MacroLabels = append(r.Presence.MacroLabels, l)
		}
		if lp.TP+lp.FP > 0 && lp.N > 0 {
			r.Presence.MacroDefinedLabels = append(r.Presence.MacroDefinedLabels, l)
		}
	}
	stats := make([]*float64, len(c.statKeys()))
	c.stats(sum, stats)
	macro, defined := statKey{kind: statMacroF1}, statKey{kind: statMacroF1Defined}
	r.Presence.MacroF1, r.Presence.MacroF1CI = stats[idx[macro]], ci(macro)
	r.Presence.MacroF1Defined, r.Presence.MacroF1DefinedCI = stats[idx[defined]], ci(defined)
	if r.Presence.MacroF1 == nil {
		r.Presence.Reason = "no label occurs in gold or predictions"
	}
	for ti, t := range c.thresholds {
		key := thresholdKey(t)
		loc := &Localization{RateCI: ci(statKey{kind: statLocRate, threshold: t})}
		for _, l := range labelmap.Positives() {
			i := l.Index()
			ll := &LocLabel{BoxCounts: BoxCounts{TP: int(sum[c.loc(ti, i, tp)]), FP: int(sum[c.loc(ti, i, fp)]), FN: int(sum[c.loc(ti, i, fn)])}}
			ll.finish()
			ll.RateCI = ci(statKey{kind: statLocLabelRate, label: l, threshold: t})
			if ll.TP+ll.FN == 0 {
				ll.Reason = "no gold boxes"
			}
			loc.TP, loc.FP, loc.FN = loc.TP+ll.TP, loc.FP+ll.FP, loc.FN+ll.FN
			loc.PerLabel.Set(string(l), ll)
		}
		loc.finish()
		if loc.TP+loc.FN == 0 {
			loc.Reason = "no gold boxes"
		}
		r.Localization.Set(key, loc)
	}
	if d.iouN > 0 {
		m := d.iouSum / float64(d.iouN)
		r.MeanIoUMatched = &m
	}
	if d.pooled != nil {
		r.ReferenceCompat = d.referenceCompat(r)
	}
	for ui, l := range c.urgent {
		u := &UrgentRecall{K: int(sum[c.urg(ui, 1)]), N: int(sum[c.urg(ui, 0)]), CI: ci(statKey{kind: statUrgent, label: l})}
		u.Recall = ratio(u.K, u.N)
		if u.N == 0 {
			u.Reason = "no gold-positive images"
		}
		r.UrgentRecall.Set(string(l), u)
	}
	return r
}

// Diff is one head-to-head difference, b − a.
type Diff struct {
	Value  *float64    `json:"value"`
	CI     *[2]float64 `json:"ci"`
	Winner string      `json:"winner"` // a, b, or tie when the interval holds 0
}

// CompareReport is report.json of compare mode.
type CompareReport struct {
	A          *ImageReport       `json:"a"`
	B          *ImageReport       `json:"b"`
	Diff       Ordered[*Diff]     `json:"diff"`
	Provenance *cxrkit.Provenance `json:"provenance"`
	Disclaimer string             `json:"disclaimer"`
	// stats are the statistics of Diff, in its order: the renderings look
	// each up in A and B by key, not by parsing its name.
	stats []statKey
}

// MacroF1 is the difference in macro F1 (nil before Compare set it):
// callers read it here, not by its name in Diff.
func (r *CompareReport) MacroF1() *Diff {
	return r.Diff.Values[statKey{kind: statMacroF1}.String()]
}

// Compare evaluates two prediction files on the same gold images with a
// paired bootstrap: both see the same resampled images, so each
// difference's interval reflects the models, not the sample.
func Compare(a, b *Dataset, o ImageOptions) (*CompareReport, error) {
	o = o.withDefaults()
	if fmt.Sprint(a.keys) != fmt.Sprint(b.keys) {
		return nil, fmt.Errorf("compare: the two datasets have different gold images")
	}
	var ra, rb [][]*float64
	if o.Bootstrap > 0 {
		both := resampleStats([]*Dataset{a, b}, o.Bootstrap, o.Seed, o.Progress)
		ra, rb = both[0], both[1]
	}
	names := a.c.statKeys()
	rep := &CompareReport{A: a.report(o, ra), B: b.report(o, rb), Disclaimer: cxrkit.Disclaimer, stats: names}
	sa, sb := make([]*float64, len(names)), make([]*float64, len(names))
	a.c.stats(a.total(), sa)
	b.c.stats(b.total(), sb)
	for k, name := range names {
		d := &Diff{Winner: "tie"}
		if sa[k] != nil && sb[k] != nil {
			v := *sb[k] - *sa[k]
			d.Value = &v
		}
		if ra != nil {
			d.CI = diffCI(ra, rb, k)
		}
		switch {
		case d.CI != nil && d.CI[0] > 0:
			d.Winner = "b"
		case d.CI != nil && d.CI[1] < 0:
			d.Winner = "a"
		case d.CI == nil && d.Value != nil && ra == nil:
			d.Winner = "no interval (--bootstrap 0)"
		}
		rep.Diff.Set(name.String(), d)
	}
	return rep, nil
}

// bySource computes each source's macro F1, localization rates and
// urgent recall from the images of that source; idx maps stat names to
// their position.
func (d *Dataset) bySource(idx map[statKey]int) Ordered[*SourceRow] {
	var out Ordered[*SourceRow]
	order := cxrkit.Sources()
	for _, s := range d.sources {
		if !slices.Contains(order, s) {
			order = append(order, s)
		}
	}
	sum := make([]int64, d.c.size())
	stats := make([]*float64, len(d.c.statKeys()))
	for _, src := range order {
		var images []int
		row := &SourceRow{}
		for i, s := range d.sources {
			if s == src {
				images = append(images, i)
				if d.failed[i] {
					row.Failed++
				}
			}
		}
		if len(images) == 0 {
			continue
		}
		row.Images = len(images)
		d.sum(images, sum)
		d.c.stats(sum, stats)
		row.MacroF1 = stats[idx[statKey{kind: statMacroF1}]]
		for _, t := range d.c.thresholds {
			row.Localization.Set(thresholdKey(t), stats[idx[statKey{kind: statLocRate, threshold: t}]])
		}
		for _, l := range d.c.urgent {
			row.UrgentRecall.Set(string(l), stats[idx[statKey{kind: statUrgent, label: l}]])
		}
		name := string(src)
		if name == "" {
			name = "unknown"
		}
		out.Set(name, row)
	}
	return out
}
