package infer

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDamagedCacheIsMovedAside: a truncated or garbage cache file is
// reported once, moved aside and replaced; it never fails the run, panics
// or answers a request.
func TestDamagedCacheIsMovedAside(t *testing.T) {
	for _, damage := range []string{"truncated", "garbage"} {
		t.Run(damage, func(t *testing.T) {
			dir := t.TempDir()
			c, err := OpenCache(dir)
			if err != nil {
				t.Fatal(err)
			}
			for i := range 200 {
				c.Put(fmt.Sprint("k", i), Response{Text: strings.Repeat("x", 3000), FinishReason: "stop"})
			}
			c.Close()
			path := filepath.Join(dir, "responses.bbolt")
			data, _ := os.ReadFile(path)
			switch damage {
			case "truncated":
				data = data[:len(data)/2]
			case "garbage":
				data = bytes.Repeat([]byte{0xA5}, len(data))
			}
			os.WriteFile(path, data, 0o600)
			c, err = OpenCache(dir)
			if err != nil {
				t.Fatalf("damaged cache failed the run: %v", err)
			}
			defer c.Close()
			if !strings.Contains(c.Warning, "damaged") {
				t.Fatalf("warning %q", c.Warning)
			}
			if aside, _ := filepath.Glob(path + ".damaged-*"); len(aside) != 1 {
				t.Fatalf("moved aside: %v", aside)
			}
			if _, ok := c.Get("k1"); ok {
				t.Fatal("a damaged cache answered")
			}
			c.Put("k1", Response{Text: "new", FinishReason: "stop"})
			if r, ok := c.Get("k1"); !ok || r.Text != "new" {
				t.Fatal("fresh cache does not work")
			}
		})
	}
}

// TestUnreachableCacheIsKept: an error that says nothing about the file's
// contents (it cannot be opened) fails OpenCache and leaves the cache
// where it is; only corruption moves it aside.
func TestUnreachableCacheIsKept(t *testing.T) {
	for _, trouble := range []string{"not a file", "permission denied"} {
		t.Run(trouble, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "responses.bbolt")
			switch trouble {
			case "not a file":
				if err := os.MkdirAll(filepath.Join(path, "keep"), 0o755); err != nil {
					t.Fatal(err)
				}
			case "permission denied":
				if os.Geteuid() == 0 {
					t.Skip("root reads any file")
				}
				c, err := OpenCache(dir)
				if err != nil {
					t.Fatal(err)
				}
				c.Close()
				if err := os.Chmod(path, 0o000); err != nil {
					t.Fatal(err)
				}
				defer os.Chmod(path, 0o600)
			}
			c, err := OpenCache(dir)
			if err == nil {
				c.Close()
				t.Fatal("an unreachable cache opened")
			}
			if aside, _ := filepath.Glob(path + ".damaged-*"); len(aside) != 0 {
				t.Fatalf("a cache that is not damaged was moved aside: %v", aside)
			}
			if _, err := os.Stat(path); err != nil {
				t.Fatalf("cache gone: %v", err)
			}
		})
	}
}
