package boxes_test

import (
	"testing"

	"github.com/cxrkit/cxrkit/boxes"
)

// BenchmarkWBFRealVinDr merges every image and label of the real VinDr
// train.csv (one op = all 15,000 images).
func BenchmarkWBFRealVinDr(b *testing.B) {
	readings, n := vindrReadings(b)
	groups := make([][]boxes.Reading, 0, len(readings))
	for _, labels := range readings {
		for _, r := range labels {
			groups = append(groups, r)
		}
	}
	b.ReportMetric(float64(n), "boxes/op")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, g := range groups {
			boxes.MergeWBF(g, 0.5)
		}
	}
}
