package eval

import (
	"github.com/cxrkit/cxrkit/labelmap"
)

// statNames lists the statistics in order: macro_f1, macro_f1_defined_only,
// f1/<label>, loc/<t>/rate, loc/<t>/<label>/rate, urgent/<label>.
func (c counter) statNames() []string {
	names := []string{"macro_f1", "macro_f1_defined_only"}
	for _, l := range labelmap.Positives() {
		names = append(names, "f1/"+string(l))
	}
	for _, t := range c.thresholds {
		names = append(names, "loc/"+thresholdKey(t)+"/rate")
		for _, l := range labelmap.Positives() {
			names = append(names, "loc/"+thresholdKey(t)+"/"+string(l)+"/rate")
		}
	}
	for _, l := range c.urgent {
		names = append(names, "urgent/"+string(l))
	}
	return names
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
