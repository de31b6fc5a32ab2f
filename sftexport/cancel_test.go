package sftexport

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"
)

// TestFatalImageErrorStopsTheWorkers: the first image that fails to load
// (without --skip-missing) stops the export; the workers load no more
// than the images already in flight, not the rest of the corpus.
func TestFatalImageErrorStopsTheWorkers(t *testing.T) {
	const n = 200
	corpus := fixture(t, n, 8)
	var loads atomic.Int64
	failAt := "img00003.png"
	o := Defaults()
	o.Corpus, o.Out, o.Workers = corpus, t.TempDir(), 2
	o.load = func(ctx context.Context, path string, prep imagePrep) (loadedImage, error) {
		loads.Add(1)
		if len(path) >= len(failAt) && path[len(path)-len(failAt):] == failAt {
			return loadedImage{}, fmt.Errorf("%s: corrupt after its header", path)
		}
		time.Sleep(2 * time.Millisecond) // a real image takes a while
		return loadImage(ctx, path, prep)
	}
	_, err := Export(context.Background(), o)
	if !errors.Is(err, ErrImages) {
		t.Fatalf("err %v, want ErrImages", err)
	}
	// In flight at most: the images before the failing one, the window
	// ahead of the writer (4 per worker), one per worker.
	if got, most := loads.Load(), int64(4+4*o.Workers+o.Workers); got > most {
		t.Fatalf("%d of %d images loaded after a fatal error at the 4th; want at most %d", got, n, most)
	}
	// With --skip-missing the same failure is counted and the rest exported.
	loads.Store(0)
	o.SkipMissing, o.Out = true, t.TempDir()
	s, err := Export(context.Background(), o)
	if err != nil || len(s.Skipped) != 1 || loads.Load() != n {
		t.Fatalf("skip-missing: %v, skipped %v, %d loads; want 1 skipped of %d", err, s.Skipped, loads.Load(), n)
	}
}
