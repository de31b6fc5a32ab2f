package sftexport

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzVerifyShard reads arbitrary bytes as an exported shard: Verify
// must end in a verify error or a report, never a panic (Arrow's decoders
// panic on some damaged files) or an unbounded allocation.
func FuzzVerifyShard(f *testing.F) {
	out := f.TempDir()
	if _, err := Export(context.Background(), Options{Corpus: fixture(f, 3, 16), Out: out}); err != nil {
		f.Fatal(err)
	}
	shards, _ := filepath.Glob(filepath.Join(out, "*", "*-*-of-*.parquet"))
	for _, s := range shards[:min(2, len(shards))] {
		data, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		os.MkdirAll(filepath.Join(dir, "grounding"), 0o755)
		if err := os.WriteFile(filepath.Join(dir, "grounding", "train-00000-of-00001.parquet"), data, 0o644); err != nil {
			t.Fatal(err)
		}
		v, err := Verify(context.Background(), dir, nil)
		if err != nil && !errors.Is(err, ErrVerify) {
			t.Fatalf("error is not ErrVerify: %v", err)
		}
		if err == nil && (v.Shards != 1 || v.Rows < 0) {
			t.Fatalf("report %+v", v)
		}
	})
}

// TestVerifyShardDecodePanics: only Arrow's calls are guarded; a panic of
// cxrkit's own image decoder reaches the caller instead of passing for a
// damaged shard ("arrow: ..."), so tests and fuzz targets can see it.
func TestVerifyShardDecodePanics(t *testing.T) {
	out := t.TempDir()
	if _, err := Export(context.Background(), Options{Corpus: fixture(t, 3, 16), Out: out}); err != nil {
		t.Fatal(err)
	}
	shards, _ := filepath.Glob(filepath.Join(out, "*", "*-*-of-*.parquet"))
	if len(shards) == 0 {
		t.Fatal("no shards")
	}
	tests := []struct {
		name   string
		decode func([]byte) error
		panics bool
	}{
		{"decoder", decodeImage, false},
		{"panicking decoder", func([]byte) error { panic("decoder bug") }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			panicked := func() (p bool) {
				defer func() { p = recover() != nil }()
				_, _, err = verifyShardWith(context.Background(), shards[0], tt.decode)
				return false
			}()
			if panicked != tt.panics || !tt.panics && err != nil {
				t.Fatalf("panicked %v, err %v; want panic %v", panicked, err, tt.panics)
			}
		})
	}
}
