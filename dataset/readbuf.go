package dataset

import (
	"bufio"
	"io"
	"sync"
)

// fileReaders holds the read buffers of input files once their file is
// read. prepare reads its files one after the other, so they share one
// buffer instead of each faulting in fresh memory of its own. Only
// full-size buffers (readBufferBytes) are kept.
var fileReaders = sync.Pool{}

// newFileReader returns a buffered reader of r, a file of size bytes (-1
// when unknown): a kept buffer when there is one, else a new one of
// readBufferBytes, or of the file's size when it is smaller (fixtures and
// fuzz inputs need no large buffer). Give it back with releaseFileReader.
func newFileReader(r io.Reader, size int64) *bufio.Reader {
	if b, ok := fileReaders.Get().(*bufio.Reader); ok {
		b.Reset(r)
		return b
	}
	if size >= 0 && size < readBufferBytes {
		return bufio.NewReaderSize(r, int(size)+1)
	}
	return bufio.NewReaderSize(r, readBufferBytes)
}

// releaseFileReader keeps b's buffer for the next file. Nothing may read
// b, or hold a view of its buffer, afterwards.
func releaseFileReader(b *bufio.Reader) {
	if b == nil || b.Size() != readBufferBytes {
		return
	}
	b.Reset(nil) // drop the file
	fileReaders.Put(b)
}
