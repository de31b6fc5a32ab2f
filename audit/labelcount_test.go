package audit

import (
	"go/ast"
	"go/parser"
	gotoken "go/token"
	"path/filepath"
	"strings"
	"testing"
)

// TestArraysSizedByLabelCount: per-label arrays are sized by
// labelmap.NumLabels, never a bare 6, so a change to the label set cannot
// leave audit indexing past an array's end.
func TestArraysSizedByLabelCount(t *testing.T) {
	files, _ := filepath.Glob("*.go")
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(gotoken.NewFileSet(), name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if at, ok := n.(*ast.ArrayType); ok {
				if lit, ok := at.Len.(*ast.BasicLit); ok && lit.Value == "6" {
					t.Errorf("%s: array sized by a bare 6; use labelmap.NumLabels", name)
				}
			}
			return true
		})
	}
}
