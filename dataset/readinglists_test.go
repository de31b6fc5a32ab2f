package dataset

import (
	"fmt"
	"math/rand/v2"
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
			want := make([][]labeledReading, tt.images)
			labels := labelmap.All()
			for n := range tt.adds {
				i, l := rng.IntN(tt.images), labels[rng.IntN(len(labels))]
				b := boxes.Box{Y0: float64(n), X0: float64(i)}
				reader := fmt.Sprint("R", n)
				rl.add(&accs[i], l, b, reader)
				want[i] = append(want[i], labeledReading{l.Index(), boxes.Reading{Box: b, Reader: reader}})
			}
			for i := range accs {
				var boxed labelBits
				for _, r := range want[i] {
					boxed.set(r.label)
				}
				if fmt.Sprint(accs[i].readings) != fmt.Sprint(want[i]) || accs[i].boxed != boxed {
					t.Fatalf("image %d: %v %b, want %v %b", i, accs[i].readings, accs[i].boxed, want[i], boxed)
				}
			}
		})
	}
}
