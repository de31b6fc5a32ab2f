package cxrkit

import (
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLockOutputEveryPlatform checks that exactly one file declares
// LockOutput for each target, because audit calls it unconditionally: a
// unix-only lock breaks `GOOS=windows go build ./...`. Checking the build
// constraints is cheap; cross-compiling the tree in a test is not.
func TestLockOutputEveryPlatform(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, target := range []struct{ goos, goarch string }{
		{"linux", "amd64"}, {"darwin", "arm64"}, {"windows", "amd64"},
		{"plan9", "amd64"}, {"js", "wasm"}, {"wasip1", "wasm"},
	} {
		ctx := build.Default
		ctx.GOOS, ctx.GOARCH, ctx.CgoEnabled = target.goos, target.goarch, false
		var declaring []string
		for _, name := range files {
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			if ok, err := ctx.MatchFile(".", name); err != nil || !ok {
				continue
			}
			src, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			f, err := parser.ParseFile(token.NewFileSet(), name, src, parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range f.Decls {
				if fn, ok := d.(*ast.FuncDecl); ok && fn.Recv == nil && fn.Name.Name == "LockOutput" {
					declaring = append(declaring, name)
				}
			}
		}
		if len(declaring) != 1 {
			t.Errorf("GOOS=%s: LockOutput declared in %v, want exactly one file", target.goos, declaring)
		}
	}
}
