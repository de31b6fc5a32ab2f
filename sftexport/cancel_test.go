package sftexport

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
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

// TestFatalImageErrorIsTheEarliestRows: when several images fail to
// load, the export reports the one earliest in the corpus, whichever
// worker failed first. Row 5's load here finishes only after row 17's
// has failed (it was reported before); with random load times, row 3's
// error must win over rows 4 and 6 every time.
func TestFatalImageErrorIsTheEarliestRows(t *testing.T) {
	corpus := fixture(t, 40, 8)
	name := func(path string) string { return path[len(path)-len("img00000.png"):] }
	t.Run("forced order", func(t *testing.T) {
		laterFailed := make(chan struct{})
		o := Defaults()
		o.Corpus, o.Out, o.Workers = corpus, t.TempDir(), 4
		o.load = func(ctx context.Context, path string, prep imagePrep) (loadedImage, error) {
			switch name(path) {
			case "img00005.png":
				select {
				case <-laterFailed:
				case <-ctx.Done():
					return loadedImage{}, ctx.Err()
				}
				return loadedImage{}, fmt.Errorf("%s: corrupt after its header", path)
			case "img00017.png":
				defer close(laterFailed)
				return loadedImage{}, fmt.Errorf("%s: corrupt after its header", path)
			}
			return loadImage(ctx, path, prep)
		}
		_, err := Export(context.Background(), o)
		if !errors.Is(err, ErrImages) || !strings.Contains(err.Error(), "img00005.png") {
			t.Fatalf("err %v, want ErrImages naming img00005.png, the earliest row that failed", err)
		}
	})
	t.Run("random load times", func(t *testing.T) {
		o := Defaults()
		o.Corpus, o.Out, o.Workers = corpus, t.TempDir(), 4
		o.load = func(ctx context.Context, path string, prep imagePrep) (loadedImage, error) {
			time.Sleep(time.Duration(rand.IntN(2000)) * time.Microsecond)
			switch name(path) {
			case "img00003.png", "img00004.png", "img00006.png":
				return loadedImage{}, fmt.Errorf("%s: corrupt after its header", path)
			}
			return loadImage(ctx, path, prep)
		}
		_, err := Export(context.Background(), o)
		if !errors.Is(err, ErrImages) || !strings.Contains(err.Error(), "img00003.png") {
			t.Fatalf("err %v, want ErrImages naming img00003.png, the earliest row that failed", err)
		}
	})
}
