package eval

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/boxes"
	"github.com/cxrkit/cxrkit/labelmap"
)

// Defaults is the one home of the evaluation defaults: IoU thresholds
// 0.3 and 0.5, 1000 bootstrap resamples for 95% intervals, a warning
// above DefaultWarnFailedShare failed predictions.
func Defaults() ImageOptions {
	return ImageOptions{Thresholds: []float64{0.3, 0.5}, Bootstrap: 1000, WarnFailedShare: DefaultWarnFailedShare}
}

// ImageOptions configure image-mode evaluation. The yaml keys are those
// of cxrkit run's eval section; fields tagged "-" are the caller's (run
// takes the urgent labels from the label map and the splits from the
// audit section).
type ImageOptions struct {
	// Thresholds are the IoU thresholds of localization.
	Thresholds []float64 `yaml:"iou"`
	// Urgent labels get recall with intervals (default pneumothorax, nodule_mass).
	Urgent []labelmap.Label `yaml:"-"`
	// Bootstrap is the number of resamples (0: no intervals).
	Bootstrap int   `yaml:"bootstrap"`
	Seed      int64 `yaml:"seed"`
	// Split restricts gold records to one split ("" = all).
	Split cxrkit.Split `yaml:"-"`
	// WarnFailedShare is the share of failed predictions above which the
	// report warns.
	WarnFailedShare float64 `yaml:"warn_failed_share"`
	// Progress, when set, hears how many bootstrap resamples are done.
	Progress func(stage string, done, total int) `yaml:"-"`
	// ReferenceCompat also reports the figures the way the reference
	// project computed them (boxes pooled across images, macro F1 over
	// defined labels only), beside cxrkit's.
	ReferenceCompat bool `yaml:"reference_compat"`
}

const numPos = labelmap.NumLabels - 1

// counter indexes one image's counts in a flat vector: presence tp/fp/fn
// per label, localization tp/fp/fn per threshold and label, urgent n/k.
type counter struct {
	thresholds []float64
	urgent     []labelmap.Label
}

func (c counter) size() int         { return numPos*3 + len(c.thresholds)*numPos*3 + len(c.urgent)*2 }
func (c counter) pres(l, k int) int { return l*3 + k }
func (c counter) loc(t, l, k int) int {
	return numPos*3 + t*numPos*3 + l*3 + k
}
func (c counter) urg(u, k int) int { return numPos*3 + len(c.thresholds)*numPos*3 + u*2 + k }

const (
	tp = 0
	fp = 1
	fn = 2
)

// imageCounts computes one image's vector. pred is nil when the image has
// no usable prediction (missing or failed parse): it then predicts nothing.
func (c counter) imageCounts(gold, pred []cxrkit.Finding, iouSum *float64, iouN *int) []int32 {
	v := make([]int32, c.size())
	g := labelsOf(gold)
	p := labelsOf(pred)
	for _, l := range labelmap.Positives() {
		i := l.Index()
		switch {
		case g[i] && p[i]:
			v[c.pres(i, tp)]++
		case p[i]:
			v[c.pres(i, fp)]++
		case g[i]:
			v[c.pres(i, fn)]++
		}
	}
	for ti, t := range c.thresholds {
		for _, l := range labelmap.Positives() {
			gb, pb := boxesOf(gold, l), boxesOf(pred, l)
			pairs := boxes.Match(pb, gb, t)
			i := l.Index()
			v[c.loc(ti, i, tp)] += int32(len(pairs))
			v[c.loc(ti, i, fp)] += int32(len(pb) - len(pairs))
			v[c.loc(ti, i, fn)] += int32(len(gb) - len(pairs))
			if ti == 0 {
				for _, pr := range pairs {
					*iouSum += pr.IoU
					*iouN++
				}
			}
		}
	}
	for ui, l := range c.urgent {
		if g[l.Index()] {
			v[c.urg(ui, 0)]++
			if p[l.Index()] {
				v[c.urg(ui, 1)]++
			}
		}
	}
	return v
}

func labelsOf(fs []cxrkit.Finding) [labelmap.NumLabels]bool {
	var out [labelmap.NumLabels]bool
	for _, f := range fs {
		if f.Label.Positive() {
			out[f.Label.Index()] = true
		}
	}
	return out
}

func boxesOf(fs []cxrkit.Finding, l labelmap.Label) []boxes.Box {
	var out []boxes.Box
	for _, f := range fs {
		if f.Label == l && f.Box != nil {
			out = append(out, *f.Box)
		}
	}
	return out
}

// Dataset is a gold corpus joined to one prediction file: one count
// vector per gold image.
type Dataset struct {
	c             counter
	vectors       [][]int32
	keys          []string
	ParseFailures int
	Missing       int
	Unmatched     int // predictions for images not in gold
	failures      Failures
	sources       []cxrkit.Source // per image
	failed        []bool          // per image: no usable prediction
	iouSum        float64
	iouN          int
	// pooled holds every usable gold and predicted box per positive label
	// across images, for ReferenceCompat (nil otherwise).
	pooled *pooledBoxes
}

// NewDataset joins gold records and prediction results by (source,
// image_id); a result without source matches by image_id when that is
// unique in gold. Gold images without a prediction, and predictions whose
// grounding failed, predict nothing and count as parse failures.
func NewDataset(gold []cxrkit.Record, pred []cxrkit.Result, o ImageOptions) (*Dataset, error) {
	o = o.withDefaults()
	d := &Dataset{c: counter{thresholds: o.Thresholds, urgent: o.Urgent}}
	if o.ReferenceCompat {
		d.pooled = &pooledBoxes{}
	}
	byKey := map[string]int{}
	byID := map[string][]int{}
	var recs []cxrkit.Record
	for _, r := range gold {
		if o.Split != "" && r.Split != o.Split {
			continue
		}
		if _, dup := byKey[r.Key()]; dup {
			return nil, fmt.Errorf("gold has %s twice", r.Key())
		}
		byKey[r.Key()] = len(recs)
		byID[r.ImageID] = append(byID[r.ImageID], len(recs))
		recs = append(recs, r)
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("%w: no gold images (split %q)", cxrkit.ErrInvalidOptions, o.Split)
	}
	preds := make([]*cxrkit.Result, len(recs))
	for i := range pred {
		r := &pred[i]
		idx, ok := byKey[string(r.Source)+":"+r.ImageID]
		if !ok && r.Source == "" && len(byID[r.ImageID]) == 1 {
			idx, ok = byID[r.ImageID][0], true
		}
		if !ok {
			d.Unmatched++
			continue
		}
		if prev := preds[idx]; prev != nil {
			// Audit results hold one line per case, several per image; they
			// carry the same grounding and count once. A failed reading (an
			// errored case of a partial audit) neither conflicts with nor
			// replaces a complete one; two complete ones that disagree
			// cannot both be the model's answer.
			switch pf, cf := groundingFailure(prev) != "", groundingFailure(r) != ""; {
			case cf:
			case pf:
				preds[idx] = r
			case !sameGrounding(prev, r):
				return nil, fmt.Errorf("two different predictions for %s (case %s and %s)", recs[idx].Key(), prev.CaseID, r.CaseID)
			}
			continue
		}
		preds[idx] = r
	}
	for i, rec := range recs {
		var pf []cxrkit.Finding
		kind := groundingFailure(preds[i])
		d.failures.add(kind)
		switch kind {
		case "":
			pf = preds[i].ImageFindings
		case "no prediction":
			d.Missing++
			d.ParseFailures++
		default:
			d.ParseFailures++
		}
		d.sources = append(d.sources, rec.Source)
		d.failed = append(d.failed, kind != "")
		d.vectors = append(d.vectors, d.c.imageCounts(rec.Findings, pf, &d.iouSum, &d.iouN))
		if d.pooled != nil {
			d.pooled.add(rec.Findings, pf)
		}
		d.keys = append(d.keys, rec.Key())
	}
	return d, nil
}

func sameGrounding(a, b *cxrkit.Result) bool {
	if (a.Error == nil) != (b.Error == nil) || a.Parse.Grounding != b.Parse.Grounding || len(a.ImageFindings) != len(b.ImageFindings) {
		return false
	}
	for i, f := range a.ImageFindings {
		g := b.ImageFindings[i]
		if f.Label != g.Label || (f.Box == nil) != (g.Box == nil) || (f.Box != nil && *f.Box != *g.Box) {
			return false
		}
	}
	return true
}

// Validate checks the settings a user gives (flags, config keys) and
// names the bad one by its config key; it is a cxrkit.ErrInvalidOptions.
func (o ImageOptions) Validate() error {
	for _, t := range o.Thresholds {
		if !(t > 0 && t <= 1) {
			return fmt.Errorf("%w: iou %v: want thresholds in (0,1]", cxrkit.ErrInvalidOptions, t)
		}
	}
	if o.Bootstrap < 0 {
		return fmt.Errorf("%w: bootstrap %d: want 0 or more", cxrkit.ErrInvalidOptions, o.Bootstrap)
	}
	if !(o.WarnFailedShare > 0 && o.WarnFailedShare < 1) {
		return fmt.Errorf("%w: warn_failed_share %g: want a share between 0 and 1", cxrkit.ErrInvalidOptions, o.WarnFailedShare)
	}
	return nil
}

func (o ImageOptions) withDefaults() ImageOptions {
	d := Defaults()
	if len(o.Thresholds) == 0 {
		o.Thresholds = d.Thresholds
	}
	o.Thresholds = slices.Clone(o.Thresholds)
	slices.Sort(o.Thresholds)
	if o.Urgent == nil {
		o.Urgent = []labelmap.Label{labelmap.Pneumothorax, labelmap.NoduleMass}
	}
	if o.WarnFailedShare <= 0 {
		o.WarnFailedShare = d.WarnFailedShare
	}
	return o
}

// Len is the number of gold images.
func (d *Dataset) Len() int { return len(d.vectors) }

// sum adds the vectors of the given images (with repetition).
func (d *Dataset) sum(idx []int, into []int64) {
	clear(into)
	for _, i := range idx {
		for k, v := range d.vectors[i] {
			into[k] += int64(v)
		}
	}
}

func thresholdKey(t float64) string { return strconv.FormatFloat(t, 'f', -1, 64) }
