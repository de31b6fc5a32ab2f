package main

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestDicom2PNGRefusals: an image over --max-pixels and a FIFO are
// refused with exit 1 and a one-line error, never a usage error, a panic
// or a hang.
func TestDicom2PNGRefusals(t *testing.T) {
	dir := t.TempDir()
	code, _, stderr := runCLI(t, "dicom2png", "--max-pixels", "1000", "--out", filepath.Join(dir, "x.png"), "../../imaging/testdata/mono1_12bit.dcm")
	if code != exitFailure || !strings.Contains(stderr, "--max-pixels") || strings.Count(strings.TrimSpace(stderr), "\n") > 1 {
		t.Errorf("over --max-pixels: exit %d, stderr %q", code, stderr)
	}
	fifo := filepath.Join(dir, "pipe.dcm")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	done := make(chan int, 1)
	go func() {
		code, _, _ := runCLI(t, "dicom2png", "--out", filepath.Join(dir, "y.png"), fifo)
		done <- code
	}()
	select {
	case code := <-done:
		if code != exitFailure {
			t.Errorf("FIFO: exit %d", code)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("dicom2png blocked on a FIFO")
	}
}
