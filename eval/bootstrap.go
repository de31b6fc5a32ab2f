package eval

import (
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
)

// resampleStats draws n bootstrap resamples of the images (with
// replacement) and computes every statistic of each, for one or more
// datasets over the same gold images (paired: all see the same draws).
// Resample r depends only on (seed, r), so results do not depend on how
// many cores ran them. progress, when set, hears resamples done.
func resampleStats(ds []*Dataset, n int, seed int64, progress func(stage string, done, total int)) [][][]*float64 {
	out := make([][][]*float64, len(ds))
	for i := range out {
		out[i] = make([][]*float64, n)
	}
	size := ds[0].Len()
	var wg sync.WaitGroup
	var done atomic.Int64
	var reportMu sync.Mutex
	next := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			idx := make([]int, size)
			sums := make([][]int64, len(ds))
			for i, d := range ds {
				sums[i] = make([]int64, d.c.size())
			}
			for r := range next {
				rng := rand.New(rand.NewPCG(uint64(seed), uint64(r)+1))
				for k := range idx {
					idx[k] = rng.IntN(size)
				}
				for i, d := range ds {
					d.sum(idx, sums[i])
					stats := make([]*float64, len(d.c.statKeys()))
					d.c.stats(sums[i], stats)
					out[i][r] = stats
				}
				if k := done.Add(1); progress != nil && (k%max(1, int64(n)/100) == 0 || k == int64(n)) {
					reportMu.Lock()
					progress("bootstrap", int(k), n)
					reportMu.Unlock()
				}
			}
		}()
	}
	for r := range n {
		next <- r
	}
	close(next)
	wg.Wait()
	return out
}

// percentileCI is the 95% percentile interval of the defined values of
// statistic k across resamples; nil when none is defined.
func percentileCI(resamples [][]*float64, k int) *[2]float64 {
	var vals []float64
	for _, s := range resamples {
		if s[k] != nil {
			vals = append(vals, *s[k])
		}
	}
	return interval(vals)
}

// diffCI is the interval of b−a over paired resamples where both are
// defined.
func diffCI(a, b [][]*float64, k int) *[2]float64 {
	var vals []float64
	for r := range a {
		if a[r][k] != nil && b[r][k] != nil {
			vals = append(vals, *b[r][k]-*a[r][k])
		}
	}
	return interval(vals)
}

func interval(vals []float64) *[2]float64 {
	if len(vals) == 0 {
		return nil
	}
	slices.Sort(vals)
	ci := [2]float64{quantile(vals, 0.025), quantile(vals, 0.975)}
	return &ci
}

// quantile interpolates linearly between order statistics (numpy's
// default).
func quantile(sorted []float64, q float64) float64 {
	pos := q * float64(len(sorted)-1)
	lo := int(math.Floor(pos))
	hi := min(lo+1, len(sorted)-1)
	return sorted[lo] + (sorted[hi]-sorted[lo])*(pos-float64(lo))
}
