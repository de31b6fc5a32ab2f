package dataset

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/parquet/pqarrow"
	"github.com/parquet-go/parquet-go"
)

// TestListGridBoundsBeforeAllocating: a hostile label grid whose first row
// is wide and whose row count is large must be refused before width×rows
// bytes are allocated, not after.
func TestListGridBoundsBeforeAllocating(t *testing.T) {
	const wide, rows = 20_000, 20_000 // 400 M pixels declared, 20 k stored
	grid := make([][]int32, rows)
	grid[0] = make([]int32, wide)
	for i := range grid[0] {
		grid[0][i] = 1
	}
	path := filepath.Join(t.TempDir(), "ragged.parquet")
	if err := parquet.WriteFile(path, []gridRow{{"a", grid}}); err != nil {
		t.Fatal(err)
	}
	var rejects []error
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	err := chestXDetParquet{split: "x", class: chestXDetClass}.read(context.Background(), path, func(r row) error {
		rejects = append(rejects, r.reject)
		return nil
	})
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if len(rejects) != 1 || rejects[0] == nil || !strings.Contains(rejects[0].Error(), "20000x20000") {
		t.Fatalf("a ragged 400-megapixel grid was not refused by its size: %v", rejects)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 16<<20 {
		t.Fatalf("refusing the grid allocated %d MiB first", grew>>20)
	}
}

// TestListGridShapes: a grid of pixel rows is read from the column's
// repetition and definition levels; each malformed grid is a reject of
// its own row with the reason, the other rows read.
func TestListGridShapes(t *testing.T) {
	v := func(x uint16) *uint16 { return &x }
	grids := [][][]*uint16{
		{{v(255), v(3)}, {v(255), v(3)}},       // one Cardiomegaly component
		{{v(255), v(3), v(3)}, {v(255), v(3)}}, // ragged
		{{v(255), nil}, {v(255), v(255)}},      // a null pixel
		{},                                     // no rows
		{{v(255), v(300)}, {v(3), v(3)}},       // over 255
		nil,                                    // null grid
		{{}, {}},                               // empty rows
		{{v(255)}, {v(6)}, {v(6)}},             // Effusion
	}
	// Written with Arrow: every level of nesting nullable.
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "image_id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "label", Type: arrow.ListOf(arrow.ListOf(arrow.PrimitiveTypes.Uint16)), Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	ids := b.Field(0).(*array.Int64Builder)
	outer := b.Field(1).(*array.ListBuilder)
	inner := outer.ValueBuilder().(*array.ListBuilder)
	vals := inner.ValueBuilder().(*array.Uint16Builder)
	for i, g := range grids {
		ids.Append(int64(i + 1))
		if g == nil {
			outer.AppendNull()
			continue
		}
		outer.Append(true)
		for _, r := range g {
			inner.Append(true)
			for _, p := range r {
				if p == nil {
					vals.AppendNull()
				} else {
					vals.Append(*p)
				}
			}
		}
	}
	rec := b.NewRecord()
	defer rec.Release()
	path := filepath.Join(t.TempDir(), "grid.parquet")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := pqarrow.NewFileWriter(schema, f, nil, pqarrow.DefaultWriterProps())
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	var got []string
	err = chestXDetParquet{split: "x", class: chestXDetClass}.read(context.Background(), path, func(r row) error {
		switch {
		case r.reject != nil:
			got = append(got, r.id+": "+r.reject.Error())
		case r.normalRecord:
			got = append(got, r.id+": normal")
		default:
			got = append(got, r.id+": "+strings.Join(r.natives, ","))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"1: Cardiomegaly",
		"2: malformed row: label grid row 1 has 2 pixels, want 3",
		"3: malformed row: label grid value (null) at row 0 is not in 0..255",
		"4: malformed row: empty label grid",
		"5: malformed row: label grid value 300 at row 0 is not in 0..255",
		"6: malformed row: null label grid",
		"7: malformed row: empty label grid",
		"8: Effusion",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
