package dataset

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestJSONArrayTrailingData: after the closing ']' of a ChestX-Det or
// VQA array only whitespace may follow; anything else is an error naming
// the file and the byte offset of the first such byte. (Before, the rest
// of the file was never read.)
func TestJSONArrayTrailingData(t *testing.T) {
	readers := []struct {
		name    string
		fixture string
		src     func(p *preparer) source
	}{
		{"chestxdet", "chestxdet.json", func(*preparer) source { return chestXDetJSON{size: pngSize(nil, chestXDetSize)} }},
		{"vqa", "vqa.json", func(p *preparer) source { return vqaPairs{size: p.vindrSize} }},
	}
	tests := []struct {
		name string
		tail string
		bad  int // offset of the offending byte in tail; -1: no error
	}{
		{"nothing", "", -1},
		{"newline", "\n", -1},
		{"whitespace", " \t\r\n \n", -1},
		{"long whitespace", strings.Repeat(" \n", readBufferBytes), -1},
		{"garbage", " garbage", 1},
		{"second array", "\n[]", 1},
		{"bracket", "]", 0},
		{"comma", ",{}", 0},
		{"after long whitespace", strings.Repeat(" ", readBufferBytes+3) + "x", readBufferBytes + 3},
		{"NUL", "\n\x00", 1},
	}
	for _, r := range readers {
		array, err := os.ReadFile(filepath.Join("testdata", r.fixture))
		if err != nil {
			t.Fatal(err)
		}
		array = []byte(strings.TrimRight(string(array), " \t\r\n"))
		for _, empty := range []bool{false, true} {
			if empty {
				array = []byte("[]")
			}
			for _, tt := range tests {
				name := r.name + "/" + tt.name
				if empty {
					name = r.name + "/empty array/" + tt.name
				}
				t.Run(name, func(t *testing.T) {
					p, _ := testPreparer(t)
					path := fuzzFile(t, r.fixture, append(append([]byte(nil), array...), tt.tail...))
					err := p.readFile(r.src(p), path)
					if tt.bad < 0 {
						if err != nil {
							t.Fatal(err)
						}
						return
					}
					offset := "byte offset " + strconv.Itoa(len(array)+tt.bad) + ":"
					if !errors.Is(err, errTrailingData) || strings.Count(err.Error(), path) != 1 || !strings.Contains(err.Error(), offset) {
						t.Fatalf("err %v, want a trailing-data error naming %s once and %q", err, path, offset)
					}
				})
			}
		}
	}
}
