package dataset

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestWithoutMember(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"a":1,"polygons":[[1,2],[3,4]],"b":"x"}`, `{"a":1,"b":"x"}`},
		{`{"polygons":[[1,2]],"a":1}`, `{"a":1}`},
		{`{"a":1,"polygons":[[1,2]]}`, `{"a":1}`},
		{`{"a":1 , "polygons" : [[1,2]] }`, `{"a":1 }`},
		{`{"polygons":[]}`, `{}`},
		{`{"a":"\"polygons\":[1]","b":{"polygons":[1]}}`, `{"a":"\"polygons\":[1]","b":{"polygons":[1]}}`},
		{`{"a":"]}\\","polygons":"[{","c":true}`, `{"a":"]}\\","c":true}`},
		{`{"a":[1,{"x":"}"}],"polygons":null}`, `{"a":[1,{"x":"}"}]}`},
		{`[1,2]`, `[1,2]`},
		{`{"a":1`, `{"a":1`},
	}
	for _, tt := range tests {
		got := string(withoutMember([]byte(tt.in), "polygons"))
		if got != tt.want {
			t.Errorf("withoutMember(%s) = %s, want %s", tt.in, got, tt.want)
		}
		if json.Valid([]byte(tt.in)) && !json.Valid([]byte(got)) {
			t.Errorf("withoutMember(%s) = %s: not valid JSON", tt.in, got)
		}
	}
}

// TestWithoutMemberDecodesTheSame: a record decodes to the same fields
// with and without its polygons.
func TestWithoutMemberDecodesTheSame(t *testing.T) {
	raw := []byte(`{"file_name": "36199.png", "syms": ["Effusion", "Nodule"], "boxes": [[1, 2, 3, 4], [5, 6, 7, 8]], "polygons": [[[1, 2], [3, 4]], [[5, 6]]]}`)
	var a, b chestXDetRecord
	if err := json.Unmarshal(raw, &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(withoutMember(raw, "polygons"), &b); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("%+v != %+v", a, b)
	}
}

// FuzzWithoutMember: a valid object stays valid and keeps every other
// top-level member.
func FuzzWithoutMember(f *testing.F) {
	f.Add(`{"a":1,"polygons":[[1,2]],"b":"x"}`)
	f.Add(`{"polygons":"}","a":{"polygons":1}}`)
	f.Fuzz(func(t *testing.T, in string) {
		var before map[string]any
		if json.Unmarshal([]byte(in), &before) != nil {
			return
		}
		out := withoutMember([]byte(in), "polygons")
		var after map[string]any
		if err := json.Unmarshal(out, &after); err != nil {
			t.Fatalf("%s -> %s: %v", in, out, err)
		}
		delete(before, "polygons")
		if _, dup := after["polygons"]; dup {
			return // a repeated key: only the first is removed
		}
		if !reflect.DeepEqual(before, after) {
			t.Fatalf("%s -> %s: members changed", in, out)
		}
	})
}

// TestArrayElementsAcrossChunks checks the chunked scan on elements that
// straddle the reader's buffer: brackets and escaped quotes inside
// strings, newlines everywhere; every element and its line must be what
// encoding/json and a newline count say.
func TestArrayElementsAcrossChunks(t *testing.T) {
	var in bytes.Buffer
	var want []string
	var lines []int
	in.WriteString("[\n")
	for i := range 3000 {
		if i > 0 {
			in.WriteString(",\n ")
		}
		el := fmt.Sprintf("{\"file_name\": \"%d]}\\\"[{\\\\\", \"syms\": [\"a\"],\n \"boxes\": [[1, 2, 3, 4]], \"polygons\": [[[%d, 2],\n[3, 4]]]}", i, i)
		lines = append(lines, 1+bytes.Count(in.Bytes(), []byte{'\n'}))
		in.WriteString(el)
		want = append(want, el)
	}
	in.WriteString("\n]\n")
	path := filepath.Join(t.TempDir(), "a.json")
	if err := os.WriteFile(path, in.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	k := 0
	err := forEachArrayElement(context.Background(), path, func(el jsonElement) error {
		if el.reject != nil || string(el.raw) != want[k] || el.line != lines[k] {
			t.Fatalf("element %d: %q line %d (%v), want %q line %d", k, el.raw, el.line, el.reject, want[k], lines[k])
		}
		k++
		return nil
	})
	if err != nil || k != len(want) {
		t.Fatalf("%v after %d of %d elements", err, k, len(want))
	}
}
