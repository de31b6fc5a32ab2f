package dataset

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// scanAgainstReference checks recordScanner on one element against the
// encoding/json reading: when the scanner decodes it, the element must be
// valid JSON and UTF-8 and decode to exactly the same record. It returns
// whether the scanner took it.
func scanAgainstReference(t *testing.T, raw []byte) bool {
	t.Helper()
	var sc recordScanner
	var got chestXDetRecord
	if n, ok := sc.chestXDetRecord(raw, &got); !ok || n != len(raw) {
		return false
	}
	if !json.Valid(raw) || !utf8.Valid(raw) {
		t.Fatalf("scanner took %q, which encoding/json rejects", raw)
	}
	want, err := decodeChestXDetRecord(jsonElement{raw: raw})
	if err != nil {
		t.Fatalf("scanner took %q, which encoding/json fails to decode: %v", raw, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%q: scanner %#v, encoding/json %#v", raw, got, want)
	}
	return true
}

// TestRecordScanner: the one-pass scanner decodes published-shaped
// records as encoding/json does, and refuses (leaving them to
// encoding/json) every element it could read differently.
func TestRecordScanner(t *testing.T) {
	tests := []struct {
		in   string
		fast bool
	}{
		{`{"file_name": "36200.png", "syms": [], "boxes": [], "polygons": []}`, true},
		{`{"file_name": "1.png", "syms": ["Effusion", "Mass"], "boxes": [[1, 2, 3, 4], [5.5, -6e2, 7E+1, 0]], "polygons": [[[1, 2], [3, 4]], [[5, 6]]]}`, true},
		{"{\n \"polygons\" : [ [ [1,2] ] ] ,\n\t\"boxes\":[ [1,2,3,4] ]\r\n, \"syms\" : [ \" Mass \" ], \"file_name\":\"a.png\" }", true},
		{`{"file_name": "a.png"}`, true},
		{`{}`, true},
		{`{"file_name": null, "syms": null, "boxes": null}`, true},
		{`{"file_name": "a.png", "syms": ["x"], "boxes": [null, "s", {"a": [true, false, null]}, 1, [1, 2, 3]]}`, true},
		{`{"file_name": "a.png", "extra": {"k": "v\"}\\\u00e9\n", "n": [-0.5e-3, 0, 12]}, "syms": []}`, true},
		{`{"file_name": "a.png", "Polygons": 1, "SYMS2": 2}`, true},
		// Left to encoding/json: escapes and non-ASCII in decoded strings,
		// case-folded or escaped keys, repeats, other types, bad syntax.
		{`{"file_name": "a\u0041.png"}`, false},
		{`{"file_name": "é.png"}`, false},
		{`{"file_name": "a.png", "polygons": "é"}`, false},
		{`{"FILE_NAME": "a.png"}`, false},
		{`{"Syms": ["x"], "boxes": [[1,2,3,4]]}`, false},
		{`{"sym\u0073": ["x"]}`, false},
		{`{"file_name": "a.png", "file_name": "b.png"}`, false},
		{`{"syms": [], "syms": ["x"]}`, false},
		{`{"file_name": 1}`, false},
		{`{"syms": "x"}`, false},
		{`{"syms": [null]}`, false},
		{`{"syms": [1]}`, false},
		{`{"boxes": {}}`, false},
		{`[1, 2]`, false},
		{`{"file_name": "a.png",}`, false},
		{`{"file_name": "a.png" "syms": []}`, false},
		{`{"file_name": "a.png", "polygons": [1,]}`, false},
		{`{"file_name": "a.png", "polygons": [01]}`, false},
		{`{"file_name": "a.png", "polygons": [1.]}`, false},
		{`{"file_name": "a.png", "polygons": [-]}`, false},
		{`{"file_name": "a.png", "polygons": [1e]}`, false},
		{`{"file_name": "a.png", "polygons": [tru]}`, false},
		{`{"file_name": "a.png", "polygons": [nul]}`, false},
		{`{"file_name": "a.png", "polygons": {"a" 1}}`, false},
		{`{"file_name": "a.png", "polygons": {1: 1}}`, false},
		{`{"file_name": "a.png", "polygons": ["\x"]}`, false},
		{`{"file_name": "a.png", "polygons": ["\u12"]}`, false},
		{"{\"file_name\": \"a.png\", \"polygons\": [\"\t\"]}", false},
		{`{"file_name": "a.png", "polygons": [[1, 2}]}`, false},
		{`{"file_name": "a.png"} x`, false},
		{`{"file_name": "a.png"`, false},
		{`{"file_name": "a.png", "polygons": ` + strings.Repeat("[", maxScanDepth+1) + strings.Repeat("]", maxScanDepth+1) + `}`, false},
	}
	for _, tt := range tests {
		if got := scanAgainstReference(t, []byte(tt.in)); got != tt.fast {
			t.Errorf("%.80q: scanner took it %v, want %v", tt.in, got, tt.fast)
		}
	}
}

// TestRecordScannerBoxesOwned: boxes do not alias the element's buffer,
// which the array reader reuses for the next element.
func TestRecordScannerBoxesOwned(t *testing.T) {
	raw := []byte(`{"file_name": "a.png", "syms": ["x"], "boxes": [[1, 2, 3, 4]]}`)
	var sc recordScanner
	var rec chestXDetRecord
	if n, ok := sc.chestXDetRecord(raw, &rec); !ok || n != len(raw) {
		t.Fatal("not taken")
	}
	for i := range raw {
		raw[i] = ' '
	}
	if string(rec.Boxes[0]) != "[1, 2, 3, 4]" || rec.FileName != "a.png" || rec.Syms[0] != "x" {
		t.Fatalf("record changed with its buffer: %#v", rec)
	}
}

// referenceChestXDetRead is the reader as it was before recordScanner:
// every element checked and copied, then decoded with encoding/json.
func referenceChestXDetRead(ctx context.Context, c chestXDetJSON, path string, emit func(row) error) error {
	return forEachArrayElement(ctx, path, func(el jsonElement) error {
		rec, err := decodeChestXDetRecord(el)
		if err != nil {
			return emit(row{line: el.line, raw: compactRecord(el.raw), reject: fmt.Errorf("%w: %v", errMalformedRow, err)})
		}
		return (&chestXDetRow{c: c}).emitRecord(rec, el, emit)
	})
}

// rowView is what a row says, in comparable form.
func rowView(r row) string {
	raw, err := json.Marshal(r.rawValue())
	if err != nil {
		raw = []byte("unmarshalable: " + err.Error())
	}
	reject := "<nil>"
	if r.reject != nil {
		reject = r.reject.Error()
	}
	located := "-"
	if r.locate != nil {
		b, ok, err := r.locate()
		located = fmt.Sprintf("%v %v %v", b, ok, err)
	}
	return fmt.Sprintf("line %d id %q natives %q normal %v reader %q reject %s positive %v raw %s box %s",
		r.line, r.id, r.natives, r.normalRecord, r.reader, reject, r.rejectsPositive, raw, located)
}

// readViews reads path with read, returning each row's view and the
// error as text.
func readViews(t *testing.T, read func(context.Context, string, func(row) error) error, path string) ([]string, string) {
	var rows []string
	err := read(context.Background(), path, func(r row) error {
		rows = append(rows, rowView(r))
		return nil
	})
	msg := "<nil>"
	if err != nil {
		msg = err.Error()
	}
	return rows, msg
}

// checkSameAsReference reads the file both ways and wants the same rows
// and the same error.
func checkSameAsReference(t *testing.T, path string) {
	t.Helper()
	c := chestXDetJSON{size: pngSize(nil, chestXDetSize)}
	checkReadersAgree(t, path, c.read, func(ctx context.Context, p string, emit func(row) error) error {
		return referenceChestXDetRead(ctx, c, p, emit)
	})
}

// checkReadersAgree reads path with the reader under test and with its
// reference, and wants the same rows, rejects and error.
func checkReadersAgree(t *testing.T, path string, read, reference func(context.Context, string, func(row) error) error) {
	t.Helper()
	got, gotErr := readViews(t, read, path)
	want, wantErr := readViews(t, reference, path)
	if gotErr != wantErr {
		t.Fatalf("%s: error %s, want %s", path, gotErr, wantErr)
	}
	if len(got) != len(want) {
		t.Fatalf("%s: %d rows, want %d", path, len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("%s: row %d:\n got %s\nwant %s", path, i, got[i], want[i])
		}
	}
}

// TestChestXDetJSONSameAsReference: whole files, good and damaged, give
// the same rows, rejects and errors as the encoding/json reader.
func TestChestXDetJSONSameAsReference(t *testing.T) {
	fixture, err := os.ReadFile(filepath.Join("testdata", "chestxdet.json"))
	if err != nil {
		t.Fatal(err)
	}
	files := []string{
		string(fixture),
		"[\n" + `{"file_name":"a.png","syms":["Effusion"],"boxes":[[1,2,3,4]]},` + "\n" +
			`{"file_name":"b` + "\xff" + `.png","syms":[],"boxes":[]},` + "\n" +
			`{"file_name":"","syms":["Mass"],"boxes":[[1,2,3,4]]},` + "\n" +
			`{"file_name":"c.png","syms":["Mass","Nodule"],"boxes":[[1,2,3,4]]},` + "\n" +
			`{"file_name":"d.png","syms":["Mass"],"boxes":[[1,2,3]]},` + "\n" +
			`{"file_name":"e.png","syms":[" Mass "],"boxes":[[0, null, 30, 40.5]]},` + "\n" +
			`{"file_name":"f.png","syms":"Mass","boxes":[[1,2,3,4]]},` + "\n" +
			`{"FILE_NAME":"g.png","Syms":["Mass"],"boxes":[[1,2,3,4]]},` + "\n" +
			`{"file_name":"h\u00e9.png","syms":["Ma\u0073s"],"boxes":[[1,2,3,4]]},` + "\n" +
			`[1,2], "x", 3, null,` + "\n" +
			`{"file_name":"i.png","syms":["Mass"],"boxes":[[1,2,3,4]],"polygons":[[[1,2]]]}` + "\n]",
		`[{"file_name":"a.png","syms":[],"boxes":[]},{"file_name":"b.png","polygons":[1,]}]`,
		`[{"file_name":"a.png","syms":[],"boxes":[]} {"file_name":"b.png"}]`,
		`[{"file_name":"a.png","syms":[],"boxes":[]},`,
		`{"file_name":"a.png"}`,
		``,
		`[]`,
	}
	for i, data := range files {
		checkSameAsReference(t, fuzzFile(t, fmt.Sprintf("f%d.json", i), []byte(data)))
	}
}

// TestChestXDetJSONRealSameAsReference: the published files read the same
// both ways, and the scanner takes every record of them (the fast path
// is the path).
func TestChestXDetJSONRealSameAsReference(t *testing.T) {
	for _, name := range []string{"ChestX_Det_train.json", "ChestX_Det_test.json"} {
		path := needRealData(t, "chestx-det", name)
		checkSameAsReference(t, path)
		n, slow := 0, 0
		err := forEachArrayElement(context.Background(), path, func(el jsonElement) error {
			n++
			if !scanAgainstReference(t, el.raw) {
				slow++
			}
			return nil
		})
		if err != nil || n == 0 || slow > 0 {
			t.Fatalf("%s: %d records, %d not taken by the scanner, err %v", name, n, slow, err)
		}
	}
}

// FuzzChestXDetScanner: on any element the scanner decodes, encoding/json
// agrees (valid, same record); on any file, the reader gives the same
// rows and errors as the encoding/json reader.
func FuzzChestXDetScanner(f *testing.F) {
	f.Add([]byte(`{"file_name": "1.png", "syms": ["Effusion"], "boxes": [[1, 2, 3, 4]], "polygons": [[[1, 2], [3, 4]]]}`))
	f.Add([]byte(`[{"file_name":"a.png","syms":[],"boxes":[null]},{"FILE_NAME":"b","polygons":{"a":"\u00e9\n"}}]`))
	f.Add([]byte(`{"file_name": null, "syms": null, "boxes": [{"a": [true, false, -1.5e+3]}]}`))
	in := filepath.Join(f.TempDir(), "c.json")
	f.Fuzz(func(t *testing.T, data []byte) {
		scanAgainstReference(t, data)
		checkSameAsReference(t, fuzzInput(t, in, data))
	})
}

// TestChestXDetJSONAcrossReadBuffer: records that straddle the read
// buffer, and records longer than it (read the usual way, then scanned),
// give the same rows at the same lines as the encoding/json reader.
func TestChestXDetJSONAcrossReadBuffer(t *testing.T) {
	var in strings.Builder
	in.WriteString("[\n")
	for i := range 400 {
		if i > 0 {
			in.WriteString(",\n")
		}
		points := 1 + (i*7919)%2000
		if i%97 == 0 {
			points = readBufferBytes / 8 // a record longer than the buffer
		}
		fmt.Fprintf(&in, "{\"file_name\": \"%d.png\",\n \"syms\": [\"Mass\", \"Nodule\"], \"boxes\": [[%d, 2, 300, 400], [1, 2, 3, 4]],\n \"polygons\": [[", i, i%50)
		for p := range points {
			if p > 0 {
				in.WriteString(", ")
				if p%100 == 0 {
					in.WriteString("\n")
				}
			}
			fmt.Fprintf(&in, "[%d, %d]", p%1000, i)
		}
		in.WriteString("]]}")
	}
	in.WriteString("\n]\n")
	if in.Len() < 4*readBufferBytes {
		t.Fatalf("file of %d bytes: too short to cross the read buffer", in.Len())
	}
	checkSameAsReference(t, fuzzFile(t, "big.json", []byte(in.String())))
}

// TestRecordScannerReusedAcrossRecords: one scanner and one record decode a
// run of records, as the reader does, each as encoding/json decodes it
// alone, though the lists of the record before are reused.
func TestRecordScannerReusedAcrossRecords(t *testing.T) {
	elements := []string{
		`{"file_name": "a.png", "syms": ["x", "y"], "boxes": [[1, 2, 3, 4], [5, 6, 7, 8]]}`,
		`{"file_name": "b.png", "syms": [], "boxes": []}`,
		`{"file_name": "c.png", "syms": null, "boxes": null}`,
		`{"file_name": "d.png", "syms": ["z"], "boxes": [[9, 10, 11, 12.5]], "polygons": [[[1, 2]]]}`,
		`{"file_name": "e.png"}`,
		`{"file_name": "f.png", "syms": ["x", "y", "z"], "boxes": [[1, 1, 2, 2], [3, 3, 4, 4], [5, 5, 6, 6]]}`,
		`{"boxes": [[7, 7, 8, 8]], "syms": ["w"], "file_name": "g.png"}`,
	}
	var sc recordScanner
	var rec chestXDetRecord
	for round := range 2 {
		for _, e := range elements {
			raw := []byte(e + `, {"file_name": "next"}`) // the buffer runs on
			n, ok := sc.chestXDetRecord(raw, &rec)
			if !ok || n != len(e) {
				t.Fatalf("round %d: %s not taken", round, e)
			}
			want, err := decodeChestXDetRecord(jsonElement{raw: []byte(e)})
			if err != nil {
				t.Fatal(err)
			}
			for i := range raw {
				raw[i] = ' '
			}
			if !reflect.DeepEqual(rec, want) {
				t.Fatalf("round %d: %s: scanner %#v, encoding/json %#v", round, e, rec, want)
			}
		}
	}
}
