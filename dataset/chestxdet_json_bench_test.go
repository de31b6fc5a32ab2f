package dataset

import (
	"context"
	"testing"
)

// BenchmarkChestXDetJSONReal reads both published ChestX-Det JSON files
// (polygons included) into rows, asking each row for its box, as prepare
// does. It skips without ../shared/realdata.
func BenchmarkChestXDetJSONReal(b *testing.B) {
	files := []string{needRealData(b, "chestx-det", "ChestX_Det_train.json"), needRealData(b, "chestx-det", "ChestX_Det_test.json")}
	src := chestXDetJSON{size: pngSize(nil, chestXDetSize)}
	b.ReportAllocs()
	for b.Loop() {
		rows := 0
		for _, f := range files {
			err := src.read(context.Background(), f, func(r row) error {
				rows++
				if r.locate != nil {
					if _, _, err := r.locate(); err != nil {
						b.Fatal(err)
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		if rows == 0 {
			b.Fatal("no rows")
		}
	}
}
