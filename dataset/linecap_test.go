package dataset

import (
	"errors"
	"io"
	"strings"
	"testing"
)

// TestCSVLineCapAndUTF8: an over-long CSV line is one rejected row, cut
// short, and reading goes on at the right line numbers; a row with
// invalid UTF-8 (which would merge distinct ids) is rejected by line.
func TestCSVLineCapAndUTF8(t *testing.T) {
	long := "img2," + strings.Repeat("x", maxCSVLineBytes+10)
	data := "image_id,class_name\nimg1,Cardiomegaly\n" + long + "\nimg\xff3,Nodule\nimg4,Aortic enlargement\n"
	tab, err := newCSVTable(strings.NewReader(data), "t.csv", int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	type got struct {
		line   int
		reject bool
		size   int
	}
	var rows []got
	for {
		rec, line, rowErr, err := tab.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		size := 0
		for _, f := range rec {
			size += len(f)
		}
		if rowErr != nil && !errors.Is(rowErr, errMalformedRow) {
			t.Fatalf("line %d: %v", line, rowErr)
		}
		rows = append(rows, got{line, rowErr != nil, size})
	}
	want := []got{{2, false, 16}, {3, true, -1}, {4, true, -1}, {5, false, 22}}
	if len(rows) != len(want) {
		t.Fatalf("rows %+v", rows)
	}
	for i, w := range want {
		r := rows[i]
		if r.line != w.line || r.reject != w.reject || w.size >= 0 && r.size != w.size || r.size > keptBytes {
			t.Errorf("row %d: %+v, want %+v (rejects cut to %d bytes)", i, r, w, keptBytes)
		}
	}
}
