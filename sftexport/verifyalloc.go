package sftexport

import (
	"fmt"

	"github.com/apache/arrow/go/v17/arrow/memory"
)

// cappedAllocator is an Arrow allocator refusing any buffer over limit
// bytes: Arrow sizes a page's buffer from its header before reading it,
// so a damaged header could ask for gigabytes. Arrow's interface has no
// error return: it panics, and verifyShard's arrowSafe recovers.
//
// dataset/parquetalloc.go has the same type (its parquet readers): two
// stages may not import each other, and the core packages they could
// share stay free of Arrow (docs/decisions.md, parquet reading). Change
// both or neither.
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
