package imaging

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestLendFile: the bytes lent are the file's, whatever the reused
// buffer held before; the budget and use's error come back.
func TestLendFile(t *testing.T) {
	dir := t.TempDir()
	big, small := filepath.Join(dir, "big"), filepath.Join(dir, "small")
	os.WriteFile(big, bytes.Repeat([]byte("abcdefg"), 10_000), 0o644)
	os.WriteFile(small, []byte("tiny"), 0o644)
	o := Defaults()
	for _, p := range []string{big, small, big, small} {
		want, _ := os.ReadFile(p)
		if err := o.LendFile(p, func(data []byte) error {
			if !bytes.Equal(data, want) {
				t.Errorf("%s: lent %d bytes, want the file's %d", p, len(data), len(want))
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	errUse := errors.New("use failed")
	if err := o.LendFile(small, func([]byte) error { return errUse }); !errors.Is(err, errUse) {
		t.Errorf("use's error: %v", err)
	}
	o.MaxBytes = 1000
	if err := o.LendFile(big, func([]byte) error { t.Error("over-budget file lent"); return nil }); !errors.Is(err, ErrOverBudget) {
		t.Errorf("over budget: %v", err)
	}
	if err := o.LendFile(filepath.Join(dir, "none"), func([]byte) error { return nil }); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}
