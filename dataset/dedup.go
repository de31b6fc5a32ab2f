package dataset

import (
	"context"
	"runtime"
	"sync"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/imaging"
)

// minDuplicateCorrelation confirms a hash match: the thumbnails of the same
// radiograph correlate above it even after re-windowing or re-encoding.
const minDuplicateCorrelation = 0.9

// Duplicate is one radiograph found under two names in different sources.
type Duplicate struct {
	A           string  `json:"a"`
	B           string  `json:"b"`
	Distance    int     `json:"hash_distance"`
	Correlation float64 `json:"thumbnail_correlation"`
}

type fingerprinted struct {
	index  int
	source cxrkit.Source
	fp     imaging.Fingerprint
}

// fingerprintAll decodes and fingerprints every image that has a path, on
// all cores. Images that fail to decode are returned in failed.
func fingerprintAll(ctx context.Context, budget imaging.Options, paths []string, sources []cxrkit.Source, progress func(done, total int)) ([]fingerprinted, map[int]error) {
	jobs := make(chan int)
	var mu sync.Mutex
	var out []fingerprinted
	failed := map[int]error{}
	done, total := 0, 0
	for _, p := range paths {
		if p != "" {
			total++
		}
	}
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				img, _, err := budget.DecodeFile(ctx, paths[i])
				var fp imaging.Fingerprint
				if err == nil {
					fp = imaging.FingerprintOf(img)
				}
				mu.Lock()
				if err != nil {
					failed[i] = err
				} else {
					out = append(out, fingerprinted{i, sources[i], fp})
				}
				done++
				if progress != nil {
					progress(done, total)
				}
				mu.Unlock()
			}
		}()
	}
	for i, p := range paths {
		if p == "" {
			continue
		}
		if ctx.Err() != nil {
			break
		}
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	return out, failed
}

// findDuplicates pairs images of different sources whose hashes differ in
// at most maxDist bits and whose thumbnails agree. Hashes are split into
// maxDist+1 bands: two hashes within maxDist bits agree exactly on at least
// one band, so only images sharing a band value are compared.
func findDuplicates(fps []fingerprinted, maxDist int) [][2]int {
	bands := maxDist + 1
	width := (64 + bands - 1) / bands
	buckets := make([]map[uint64][]int, bands)
	for b := range buckets {
		buckets[b] = map[uint64][]int{}
	}
	type pair struct{ a, b int }
	seen := map[pair]bool{}
	var out [][2]int
	for k, f := range fps {
		for b := 0; b < bands; b++ {
			lo := b * width
			if lo >= 64 {
				break
			}
			val := (uint64(f.fp.Hash) >> uint(lo)) & (1<<uint(min(width, 64-lo)) - 1)
			for _, j := range buckets[b][val] {
				g := fps[j]
				if g.source == f.source {
					continue
				}
				pr := pair{min(j, k), max(j, k)}
				if seen[pr] {
					continue
				}
				seen[pr] = true
				if f.fp.Hash.Distance(g.fp.Hash) <= maxDist && f.fp.Correlation(g.fp) >= minDuplicateCorrelation {
					out = append(out, [2]int{g.index, f.index})
				}
			}
			buckets[b][val] = append(buckets[b][val], k)
		}
	}
	return out
}
