package dataset

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/cxrkit/cxrkit/boxes"
	"github.com/cxrkit/cxrkit/labelmap"
)

// TestReadingListsKeepEachImagesReadings: readings added to many images in
// interleaved order, while outgrown arrays pass from image to image, stay
// each image's own, in order, with their per-label counts.
func TestReadingListsKeepEachImagesReadings(t *testing.T) {
	for _, tt := range []struct{ images, adds int }{{1, 1}, {1, 100}, {3, 40}, {50, 600}, {500, 4000}} {
		t.Run(fmt.Sprintf("%d images %d adds", tt.images, tt.adds), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(tt.images), uint64(tt.adds)))
			var rl readingLists
			accs := make([]imageAcc, tt.images)
			type labeled struct {
				label int
				boxes.Reading
			}
			want := make([][]labeled, tt.images)
			labels := labelmap.All()
			for n := range tt.adds {
				i, l := rng.IntN(tt.images), labels[rng.IntN(len(labels))]
				b := boxes.Box{Y0: float64(n), X0: float64(i)}
				reader := fmt.Sprint("R", n%7)
				rl.add(&accs[i], l, b, reader)
				want[i] = append(want[i], labeled{l.Index(), boxes.Reading{Box: b, Reader: reader}})
			}
			for i := range accs {
				var boxed labelBits
				for _, r := range want[i] {
					boxed.set(r.label)
				}
				if accs[i].boxed != boxed || len(accs[i].readings) != len(want[i]) {
					t.Fatalf("image %d: %d readings %b, want %d %b", i, len(accs[i].readings), accs[i].boxed, len(want[i]), boxed)
				}
				for k := range labelmap.NumLabels {
					var w []boxes.Reading
					for _, r := range want[i] {
						if r.label == k {
							w = append(w, r.Reading)
						}
					}
					if got := rl.labelReadingsOf(&accs[i], k, nil); !slices.Equal(got, w) {
						t.Fatalf("image %d label %d: %v, want %v", i, k, got, w)
					}
				}
			}
		})
	}
}
