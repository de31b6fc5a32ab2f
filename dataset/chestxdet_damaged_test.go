package dataset

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/parquet"
	"github.com/apache/arrow/go/v17/parquet/file"
	"github.com/apache/arrow/go/v17/parquet/schema"
)

// readFuzzSeed returns the bytes of a one-value []byte seed file of the
// go test fuzz v1 format.
func readFuzzSeed(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSpace(data), []byte("\n"))
	if len(lines) != 2 || string(lines[0]) != "go test fuzz v1" {
		t.Fatalf("%s: not a one-value fuzz seed", path)
	}
	lit := strings.TrimSuffix(strings.TrimPrefix(string(lines[1]), "[]byte("), ")")
	s, err := strconv.Unquote(lit)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return []byte(s)
}

// TestChestXDetParquetDamagedShard reads damaged mirror shards found by
// FuzzChestXDetParquet: each must end in an error naming the file, in
// bounded time. 22f3eb01761cef52 made Arrow's struct reader panic in a
// goroutine of its own (the process died); b2456ae4b34770a3 made Arrow's
// low-level ReadBatch loop forever.
func TestChestXDetParquetDamagedShard(t *testing.T) {
	for _, seed := range []string{"22f3eb01761cef52", "b2456ae4b34770a3"} {
		t.Run(seed, func(t *testing.T) {
			data := readFuzzSeed(t, filepath.Join("testdata", "fuzz", "FuzzChestXDetParquet", seed))
			p, _ := testPreparer(t)
			path := fuzzFile(t, "train-00000-of-00001.parquet", data)
			done := make(chan error, 1)
			go func() { done <- p.readFile(chestXDetParquet{split: "train", class: chestXDetClass}, path) }()
			select {
			case err := <-done:
				if err == nil || strings.Count(err.Error(), path) != 1 {
					t.Fatalf("err %v, want an error naming %s once", err, path)
				}
				t.Log(err)
			case <-time.After(20 * time.Second):
				t.Fatalf("reading %s did not end within 20s", path)
			}
		})
	}
}

// TestChestXDetParquetBufferLimit: a page asking for a buffer over the
// limit (Arrow sizes it from the page header, before reading) is an
// error naming the file, not an allocation.
func TestChestXDetParquetBufferLimit(t *testing.T) {
	path := filepath.Join(writeChestXDetMirror(t), "data", "train-00000-of-00003.parquet")
	tests := []struct {
		limit int
		fails bool
	}{
		{0, false}, // maxParquetBuffer
		{1 << 20, false},
		{64, true},
	}
	for _, tt := range tests {
		p, _ := testPreparer(t)
		err := p.readFile(chestXDetParquet{split: "train", class: chestXDetClass, bufferLimit: tt.limit}, path)
		if tt.fails != (err != nil) {
			t.Fatalf("limit %d: err %v, want failure %v", tt.limit, err, tt.fails)
		}
		if err != nil && (!errors.Is(err, errMalformedParquet) || strings.Count(err.Error(), path) != 1 || !strings.Contains(err.Error(), "limit")) {
			t.Fatalf("limit %d: err %v, want a malformed-parquet error naming %s once and the limit", tt.limit, err, path)
		}
	}
}

// TestLeafBatchTakeBounds: what Arrow hands back for a batch is checked
// by cxrkit before it is sliced, so inconsistent counts are an error, not
// a panic (readBatch no longer recovers panics of cxrkit's own code).
func TestLeafBatchTakeBounds(t *testing.T) {
	intLeaf := func(maxDef int) *parquetLeaf {
		rep := parquet.Repetitions.Required
		if maxDef > 0 {
			rep = parquet.Repetitions.Optional
		}
		n := schema.NewInt32Node("v", rep, -1)
		col := schema.NewColumn(n, int16(maxDef), 0)
		return &parquetLeaf{name: "v", col: col, kind: leafInts, info: file.LevelInfo{DefLevel: int16(maxDef)}}
	}
	tests := []struct {
		name   string
		leaf   *parquetLeaf
		rows   int
		levels int64
		def    []int16
		slots  int
		vals   []byte
		ok     bool
	}{
		{"consistent", intLeaf(1), 2, 2, []int16{1, 1}, 2, make([]byte, 8), true},
		{"levels past the definition levels", intLeaf(1), 2, 3, []int16{1, 1}, 2, make([]byte, 8), false},
		{"negative levels", intLeaf(1), 2, -1, []int16{1, 1}, 2, make([]byte, 8), false},
		{"values past the bytes", intLeaf(0), 2, 0, nil, 2, make([]byte, 7), false},
		{"negative values", intLeaf(0), 2, 0, nil, -1, nil, false},
		{"fewer values than rows", intLeaf(0), 3, 0, nil, 2, make([]byte, 8), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &leafBatch{leaf: tt.leaf, rows: tt.rows, slots: tt.slots}
			err := b.take(tt.levels, tt.def, nil, tt.vals, nil, false)
			if (err == nil) != tt.ok || err != nil && !errors.Is(err, errMalformedParquet) {
				t.Fatalf("err %v, want ok %v (or a malformed-parquet error)", err, tt.ok)
			}
		})
	}
}
