package sftexport

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/parquet/file"
	"github.com/apache/arrow/go/v17/parquet/pqarrow"
)

// TestShardsReadWithArrowRecords reads every exported shard with Arrow's
// record layer (pqarrow, what pyarrow and datasets use; Verify itself uses
// Arrow's column reader only): the schema Arrow gives must be the one the
// features declare and the one ArrowSchemaOf computes, and the rows and
// images must be the ones Verify counted.
func TestShardsReadWithArrowRecords(t *testing.T) {
	for _, format := range []Format{FormatMessages, FormatPromptCompletion} {
		t.Run(string(format), func(t *testing.T) {
			out := t.TempDir()
			s, err := Export(context.Background(), Options{Corpus: fixture(t, 7, 32), Out: out, Format: format, Verify: true, ShardRows: 2})
			if err != nil {
				t.Fatal(err)
			}
			shards, _ := filepath.Glob(filepath.Join(out, "*", "*-*-of-*.parquet"))
			var rows int64
			images := 0
			for _, path := range shards {
				n, imgs := readShardWithArrow(t, path, format)
				rows += n
				images += imgs
			}
			if len(shards) != s.Verified.Shards || rows != s.Verified.Rows || images != s.Verified.ImagesDecoded {
				t.Fatalf("Arrow records: %d shards, %d rows, %d images; Verify: %+v", len(shards), rows, images, s.Verified)
			}
		})
	}
}

func readShardWithArrow(t *testing.T, path string, format Format) (int64, int) {
	t.Helper()
	pf, err := file.OpenParquetFile(path, false)
	if err != nil {
		t.Fatal(err)
	}
	defer pf.Close()
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: 16}, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	got, err := fr.Schema()
	if err != nil {
		t.Fatal(err)
	}
	if err := SameAsFeatures(got, ExpectedArrowSchemaFor(format)); err != nil {
		t.Fatalf("%s: Arrow's schema: %v", path, err)
	}
	ours, err := ArrowSchemaOf(pf.MetaData().Schema)
	if err != nil {
		t.Fatal(err)
	}
	if err := SameAsFeatures(ours, got); err != nil {
		t.Fatalf("%s: ArrowSchemaOf differs from Arrow's: %v\nours  %s\narrow %s", path, err, ours, got)
	}
	rr, err := fr.GetRecordReader(context.Background(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rr.Release()
	var rows int64
	images := 0
	for {
		rec, err := rr.Read()
		if rec != nil {
			rows += rec.NumRows()
			images += countImages(t, rec)
		}
		if errors.Is(err, io.EOF) || err == nil && rec == nil {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if rows != pf.NumRows() {
		t.Fatalf("%s: Arrow read %d rows of %d", path, rows, pf.NumRows())
	}
	return rows, images
}

func countImages(t *testing.T, rec arrow.Record) int {
	t.Helper()
	list := rec.Column(0).(*array.List)
	blobs := list.ListValues().(*array.Struct).Field(0).(*array.Binary)
	for i := range blobs.Len() {
		if blobs.IsNull(i) || blobs.ValueLen(i) == 0 {
			t.Fatalf("image %d has no bytes", i)
		}
	}
	return blobs.Len()
}
