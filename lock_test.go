//go:build unix

package cxrkit

import (
	"errors"
	"path/filepath"
	"testing"
)

func TestLockOutput(t *testing.T) {
	out := filepath.Join(t.TempDir(), "sub", "results.jsonl")
	release, err := LockOutput(out)
	if err != nil {
		t.Fatal(err)
	}
	// flock locks belong to open file descriptions, so a second open in
	// the same process conflicts just as another process would.
	if _, err := LockOutput(out); !errors.Is(err, ErrLocked) {
		t.Fatalf("second lock: %v", err)
	}
	release()
	release2, err := LockOutput(out)
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	release2()
}
