package cxrkit

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckOutputs(t *testing.T) {
	dir := t.TempDir()
	corpus := filepath.Join(dir, "c.jsonl")
	imgs := filepath.Join(dir, "images")
	os.WriteFile(corpus, []byte("{}\n"), 0o644)
	os.Mkdir(imgs, 0o755)
	link := filepath.Join(dir, "link")
	if err := os.Symlink(imgs, link); err != nil {
		t.Fatal(err)
	}
	wd, _ := os.Getwd()
	defer os.Chdir(wd)
	os.Chdir(dir)
	tests := []struct {
		name string
		out  string
		in   string
		want string // "" = allowed
	}{
		{"same file", corpus, corpus, "--out " + corpus + " is the same path as --corpus"},
		{"same file relative", "c.jsonl", corpus, "is the same path as"},
		{"dot segments", "./images/../c.jsonl", "c.jsonl", "is the same path as"},
		{"inside input folder", filepath.Join(imgs, "new", "x.png"), imgs, "is inside"},
		{"contains input", dir, corpus, "contains"},
		{"through symlink", filepath.Join(link, "out.jsonl"), imgs, "is inside"},
		{"symlink to input file", link, imgs, "is the same path as"},
		{"sibling", filepath.Join(dir, "cases.jsonl"), corpus, ""},
		{"prefix but not inside", filepath.Join(dir, "images2"), imgs, ""},
		{"empty out", "", corpus, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckOutputs([]PathFlag{{"--corpus", tc.in}}, []PathFlag{{"--out", tc.out}})
			if tc.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if !errors.Is(err, ErrOutputOverlapsInput) || !errors.Is(err, ErrInvalidOptions) {
				t.Fatalf("err %v is not typed", err)
			}
			if strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), "--out") || !strings.Contains(err.Error(), "--corpus") {
				t.Fatalf("want one line naming both flags: %q", err)
			}
		})
	}
	if err := CheckOutputs(nil, []PathFlag{{"--out", "a.json"}, {"--markdown", "./a.json"}}); !errors.Is(err, ErrOutputOverlapsInput) {
		t.Fatalf("two outputs on one path: %v", err)
	}
}
