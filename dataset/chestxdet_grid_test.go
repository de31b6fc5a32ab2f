package dataset

import (
	"runtime"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

// TestListGridBoundsBeforeAllocating: a hostile label grid whose first row
// is wide and whose row count is large must be refused before width×rows
// bytes are allocated, not after.
func TestListGridBoundsBeforeAllocating(t *testing.T) {
	const wide, rows = 20_000, 20_000 // 400 M pixels declared, 20 k stored
	b := array.NewListBuilder(memory.DefaultAllocator, arrow.ListOf(arrow.PrimitiveTypes.Uint8))
	defer b.Release()
	inner := b.ValueBuilder().(*array.ListBuilder)
	vals := inner.ValueBuilder().(*array.Uint8Builder)
	b.Append(true)
	for r := range rows {
		inner.Append(true)
		if r == 0 {
			for range wide {
				vals.Append(1)
			}
		}
	}
	outer := b.NewListArray()
	defer outer.Release()

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := listGrid(outer, 0)
	runtime.ReadMemStats(&after)
	if err == nil {
		t.Fatal("a ragged 400-megapixel grid was accepted")
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 16<<20 {
		t.Fatalf("refusing the grid allocated %d MiB first", grew>>20)
	}
}
