package cxrkit

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// AtomicFile is an output file that appears under its final name only when
// Commit succeeds: data goes to a hidden temporary file in the same
// directory, which is synced and renamed on Commit and removed on Abort. A
// killed run therefore never leaves a half file under the final name.
type AtomicFile struct {
	path string
	tmp  *os.File
	w    *bufio.Writer
	done bool
}

// CreateAtomic starts writing path atomically, creating its directory.
func CreateAtomic(path string) (*AtomicFile, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, err
	}
	return &AtomicFile{path: path, tmp: tmp, w: bufio.NewWriterSize(tmp, 1<<16)}, nil
}

// Write buffers p for the temporary file.
func (a *AtomicFile) Write(p []byte) (int, error) {
	if a.done {
		return 0, errors.New("write to a finished atomic file")
	}
	return a.w.Write(p)
}

// Commit flushes, syncs and renames the temporary file to its final name.
func (a *AtomicFile) Commit() error {
	if a.done {
		return errors.New("atomic file already finished")
	}
	a.done = true
	err := a.w.Flush()
	if err == nil {
		err = a.tmp.Sync()
	}
	if cerr := a.tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(a.tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(a.tmp.Name(), a.path)
	}
	if err != nil {
		os.Remove(a.tmp.Name())
		return fmt.Errorf("write %s: %w", a.path, err)
	}
	return nil
}

// Abort discards the temporary file. It is a no-op after Commit, so it can
// be deferred.
func (a *AtomicFile) Abort() {
	if a.done {
		return
	}
	a.done = true
	a.tmp.Close()
	os.Remove(a.tmp.Name())
}

// WriteFileAtomic writes path atomically with fn's output.
func WriteFileAtomic(path string, fn func(w *bufio.Writer) error) error {
	f, err := CreateAtomic(path)
	if err != nil {
		return err
	}
	defer f.Abort()
	if err := fn(f.w); err != nil {
		return err
	}
	return f.Commit()
}
