package eval

import (
	"fmt"

	"github.com/cxrkit/cxrkit/labelmap"
)

// statKind is which statistic a statKey names.
type statKind int

// The statistics of an image evaluation.
const (
	statMacroF1        statKind = iota // macro F1 over labels with any case
	statMacroF1Defined                 // macro F1 over labels with a defined F1
	statF1                             // one label's F1
	statLocRate                        // localization rate at one threshold
	statLocLabelRate                   // one label's localization rate at one threshold
	statUrgent                         // one urgent label's recall
)

// statKey names one statistic: a kind, and the label and threshold it is
// of where it has them. Statistics are looked up by key, so a misspelt
// statistic does not compile; String gives its name in the reports.
type statKey struct {
	kind      statKind
	label     labelmap.Label
	threshold float64
}

func (k statKey) String() string {
	switch k.kind {
	case statMacroF1:
		return "macro_f1"
	case statMacroF1Defined:
		return "macro_f1_defined_only"
	case statF1:
		return "f1/" + string(k.label)
	case statLocRate:
		return "loc/" + thresholdKey(k.threshold) + "/rate"
	case statLocLabelRate:
		return "loc/" + thresholdKey(k.threshold) + "/" + string(k.label) + "/rate"
	case statUrgent:
		return "urgent/" + string(k.label)
	}
	return fmt.Sprintf("stat(%d)", int(k.kind))
}

// statKeys lists the statistics in the order stats computes them:
// macro_f1, macro_f1_defined_only, f1/<label>, loc/<t>/rate,
// loc/<t>/<label>/rate, urgent/<label>.
func (c counter) statKeys() []statKey {
	keys := []statKey{{kind: statMacroF1}, {kind: statMacroF1Defined}}
	for _, l := range labelmap.Positives() {
		keys = append(keys, statKey{kind: statF1, label: l})
	}
	for _, t := range c.thresholds {
		keys = append(keys, statKey{kind: statLocRate, threshold: t})
		for _, l := range labelmap.Positives() {
			keys = append(keys, statKey{kind: statLocLabelRate, label: l, threshold: t})
		}
	}
	for _, l := range c.urgent {
		keys = append(keys, statKey{kind: statUrgent, label: l})
	}
	return keys
}

// stats computes every statistic from a summed vector.
func (c counter) stats(sum []int64, out []*float64) {
	k := 0
	var f1s, defined []float64
	perLabel := make([]*float64, numPos)
	for _, l := range labelmap.Positives() {
		i := l.Index()
		t, p, n := sum[c.pres(i, tp)], sum[c.pres(i, fp)], sum[c.pres(i, fn)]
		perLabel[i] = ratio64(2*t, 2*t+p+n)
		if t+p+n > 0 {
			f1s = append(f1s, *perLabel[i])
		}
		if t+p > 0 && t+n > 0 {
			defined = append(defined, *perLabel[i])
		}
	}
	out[k], out[k+1] = mean(f1s), mean(defined)
	k += 2
	for i := range numPos {
		out[k] = perLabel[i]
		k++
	}
	for ti := range c.thresholds {
		var tt, nn int64
		for i := range numPos {
			tt += sum[c.loc(ti, i, tp)]
			nn += sum[c.loc(ti, i, fn)]
		}
		out[k] = ratio64(tt, tt+nn)
		k++
		for i := range numPos {
			out[k] = ratio64(sum[c.loc(ti, i, tp)], sum[c.loc(ti, i, tp)]+sum[c.loc(ti, i, fn)])
			k++
		}
	}
	for ui := range c.urgent {
		out[k] = ratio64(sum[c.urg(ui, 1)], sum[c.urg(ui, 0)])
		k++
	}
}

func ratio64(a, b int64) *float64 {
	if b == 0 {
		return nil
	}
	v := float64(a) / float64(b)
	return &v
}
