package sftexport

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/cxrkit/cxrkit/imaging"
)

// TestFIFOImageRefusedAtOnce: an image_path naming a FIFO used to hang
// export forever; now only regular files are opened.
func TestFIFOImageRefusedAtOnce(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "x.png")
	if err := mkfifo(fifo); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	done := make(chan error, 2)
	go func() { done <- checkImage(fifo, imaging.Defaults()) }()
	go func() {
		_, err := loadImage(context.Background(), fifo, imagePrep{resize: 512, budget: imaging.Defaults()})
		done <- err
	}()
	for range 2 {
		select {
		case err := <-done:
			if !errors.Is(err, imaging.ErrNotRegular) {
				t.Fatalf("err = %v, want ErrNotRegular", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("a FIFO image blocked the export")
		}
	}
}
