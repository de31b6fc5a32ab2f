package dataset

import (
	"fmt"

	"github.com/apache/arrow/go/v17/arrow/memory"
)

// maxParquetBuffer bounds one buffer Arrow allocates while reading a
// ChestX-Det parquet file. Arrow sizes a page's buffer from the page
// header before reading it, so a damaged header could ask for up to
// 2 GiB; a mirror page holds a few PNGs of at most a few MB.
const maxParquetBuffer = 256 << 20

// cappedAllocator is an Arrow allocator refusing any buffer over limit
// bytes. Arrow's interface has no error return: it panics, and the
// arrowSafe around every Arrow call turns that into an error naming
// the file.
//
// sftexport/verifyalloc.go has the same type (export --verify reads
// shards with Arrow too): two stages may not import each other, and the
// core packages they could share stay free of Arrow (docs/decisions.md,
// parquet reading). Change both or neither.
type cappedAllocator struct {
	memory.Allocator
	limit int
}

func (a cappedAllocator) check(size int) {
	if size > a.limit {
		panic(fmt.Sprintf("a %d-byte buffer is over the %d-byte limit", size, a.limit))
	}
}

func (a cappedAllocator) Allocate(size int) []byte {
	a.check(size)
	return a.Allocator.Allocate(size)
}

func (a cappedAllocator) Reallocate(size int, b []byte) []byte {
	a.check(size)
	return a.Allocator.Reallocate(size, b)
}
