package sftexport

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/cxrkit/cxrkit"
)

// TestExportRefusesLockedOut plays a second export into an --out another
// export is writing: it must refuse before touching anything, so the
// first run's staging folder survives.
func TestExportRefusesLockedOut(t *testing.T) {
	corpus := fixture(t, 2, 32)
	out := filepath.Join(t.TempDir(), "out")
	release, err := cxrkit.LockOutput(out)
	if err != nil {
		t.Fatal(err)
	}
	staging := filepath.Join(out, stagePrefix+"new-running")
	if err := os.MkdirAll(staging, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := Export(context.Background(), Options{Corpus: corpus, Out: out}); !errors.Is(err, cxrkit.ErrLocked) {
		t.Fatalf("export into a locked --out: %v, want ErrLocked", err)
	}
	if _, err := os.Stat(staging); err != nil {
		t.Fatalf("the running export's staging folder was touched: %v", err)
	}
	release()
	if _, err := Export(context.Background(), Options{Corpus: corpus, Out: out}); err != nil {
		t.Fatalf("after release: %v", err)
	}
}
