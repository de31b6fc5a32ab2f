package dataset

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"os"

	"github.com/cxrkit/cxrkit"
)

// inputDigest is the sha256 of one input file taken while its reader
// reads it, so that the provenance does not read every input a second
// time. A reader that stops before the end (a JSON array is read up to
// its closing bracket) leaves the rest to finish.
type inputDigest struct {
	path string
	h    hash.Hash // the bytes read so far, set when a read of path closed without error
	n    int64
}

type inputDigestKey struct{}

// withInputDigest asks the readers under ctx to record d as they read
// d.path.
func withInputDigest(ctx context.Context, d *inputDigest) context.Context {
	return context.WithValue(ctx, inputDigestKey{}, d)
}

// openInput opens path for reading; when ctx asks for its digest, what
// is read is hashed on the way.
func openInput(ctx context.Context, path string) (io.ReadCloser, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	d, _ := ctx.Value(inputDigestKey{}).(*inputDigest)
	if d == nil || d.path != path {
		return f, nil
	}
	return &hashingFile{f: f, h: sha256.New(), d: d}, nil
}

// hashingFile hashes what is read from f; closing it after reads without
// error hands the hash to its inputDigest.
type hashingFile struct {
	f   *os.File
	h   hash.Hash
	n   int64
	err error
	d   *inputDigest
}

func (r *hashingFile) Read(p []byte) (int, error) {
	n, err := r.f.Read(p)
	r.h.Write(p[:n]) // a hash.Hash never fails to write
	r.n += int64(n)
	if err != nil && !errors.Is(err, io.EOF) {
		r.err = err
	}
	return n, err
}

func (r *hashingFile) Close() error {
	if r.err == nil {
		r.d.h, r.d.n = r.h, r.n
	}
	return r.f.Close()
}

// finish hashes what the reader left unread (usually nothing, or the
// newline after a JSON array) and returns the file's digest; ok is false
// when there is no recorded read to finish, or finishing it failed (the
// caller then hashes the file as before).
func (d *inputDigest) finish(ctx context.Context) (in cxrkit.InputFile, ok bool) {
	if d == nil || d.h == nil || ctx.Err() != nil {
		return in, false
	}
	f, err := os.Open(d.path)
	if err != nil {
		return in, false
	}
	defer f.Close()
	var rest int64
	// A file read to its end (the usual case) has nothing left to hash.
	if st, err := f.Stat(); err != nil || st.Size() != d.n {
		if _, err := f.Seek(d.n, io.SeekStart); err != nil {
			return in, false
		}
		if rest, err = io.Copy(d.h, f); err != nil {
			return in, false
		}
	}
	return cxrkit.InputFile{Path: d.path, SHA256: hex.EncodeToString(d.h.Sum(nil)), Bytes: d.n + rest}, true
}

// openCSVInput opens the CSV file at path through openInput: hashed while
// read when ctx carries the digest of that file.
func openCSVInput(ctx context.Context, path string) (*csvTable, error) {
	f, err := openInput(ctx, path)
	if err != nil {
		return nil, err
	}
	size := int64(-1)
	if st, err := os.Stat(path); err == nil {
		size = st.Size()
	}
	t, err := newCSVTable(f, path, size)
	if err != nil {
		f.Close()
		return nil, err
	}
	t.f = f
	return t, nil
}
