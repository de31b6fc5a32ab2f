package dataset

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestJSONElementCap: in every JSON array input, an element longer than
// the cap (a string, a number, deep nesting, many members) and an element
// with invalid UTF-8 are each one rejected row at the line the element
// starts on, kept short in rejects.jsonl; the elements after them are
// read at the right lines, and read = kept + dropped + rejected holds.
func TestJSONElementCap(t *testing.T) {
	huge := strings.Repeat("x", maxJSONElementBytes+10)
	deep := strings.Repeat("[", maxJSONElementBytes) + strings.Repeat("]", maxJSONElementBytes)
	number := "1" + strings.Repeat("0", maxJSONElementBytes)
	many := strings.Repeat(`"k":1,`, maxJSONElementBytes/5) + `"file_name":"m.png"`
	chestXDet := func(p *preparer) source { return chestXDetJSON{size: pngSize(nil, chestXDetSize)} }
	vqa := func(p *preparer) source { return vqaPairs{size: p.vindrSize} }
	tests := []struct {
		name   string
		reader func(*preparer) source
		data   string
		read   int
		want   map[int]string // reject line → reason
	}{
		{"chestxdet", chestXDet, "[\n" +
			`{"file_name":"a.png","syms":["Effusion"],"boxes":[[1,2,3,4]]},` + "\n" +
			`{"file_name":"` + huge + `.png","syms":[],"boxes":[]},` + "\n" +
			`{"file_name":"b` + "\xff" + `.png","syms":[],"boxes":[]},` + "\n" +
			"{\n" + `"file_name":"c.png","polygons":[` + deep + `],` + "\n" + `"syms":["Mass"],"boxes":[]},` + "\n" +
			number + ",\n{" + many + "},\n" +
			`{"file_name":"d.png","syms":["Mass"],"boxes":[]}` + "\n]\n",
			7, map[int]string{3: errMalformedRow.Error(), 4: errMalformedRow.Error(), 5: errMalformedRow.Error(),
				8: errMalformedRow.Error(), 9: errMalformedRow.Error(), 10: errSymsBoxes.Error()}},
		{"vqa flat", vqa, "[\n" +
			`{"image_id":"a","gt_finding":"Cardiomegaly","gt_location":"[1,2,3,4]","image_width":10,"image_height":10},` + "\n" +
			`{"image_id":"a","gt_finding":"` + huge + `","gt_location":"[1,2,3,4]"},` + "\n" +
			`{"image_id":"a` + "\xff" + `","gt_finding":"Cardiomegaly","gt_location":"[1,2,3,4]"},` + "\n" +
			`{"image_id":"a","gt_finding":"Cardiomegaly","gt_location":"[1,2,3]","image_width":10,"image_height":10}` + "\n]",
			4, map[int]string{3: errMalformedRow.Error(), 4: errMalformedRow.Error(), 5: errBadBox.Error()}},
		{"vqa nested, first element too long", vqa, "[\n" +
			`{"image_id":"a","questions":[{"gt_finding":"` + huge + `","gt_location":""}]},` + "\n" +
			"{\"image_id\":\"a\",\n\"questions\":[\n" +
			`{"gt_finding":"Cardiomegaly","gt_location":"<loc_1_2_3_4>"},` + "\n" +
			`{"gt_finding":"Cardiomegaly","gt_location":"<loc_1_2_3>"}]}` + "\n]",
			3, map[int]string{2: errMalformedRow.Error(), 6: errBadBox.Error()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, rej := testPreparer(t)
			p.images.get("vindr", "a")
			path := fuzzFile(t, "in.json", []byte(tt.data))
			if err := p.readFile(tt.reader(p), path); err != nil {
				t.Fatal(err)
			}
			checkAccounting(t, p, rej, path)
			read := 0
			for _, s := range p.inputs {
				read += s.RowsRead
			}
			if read != tt.read {
				t.Errorf("read %d rows, want %d", read, tt.read)
			}
			got := map[int]string{}
			for _, l := range strings.Split(strings.TrimSpace(rej.String()), "\n") {
				if len(l) > 4*keptBytes {
					t.Errorf("reject line of %d bytes: %.300s", len(l), l)
				}
				var r Reject
				if err := json.Unmarshal([]byte(l), &r); err != nil {
					t.Fatal(err)
				}
				got[r.Line] = r.Reason
			}
			if len(got) != len(tt.want) {
				t.Errorf("rejects at %v, want %v", got, tt.want)
			}
			for line, reason := range tt.want {
				if got[line] != reason {
					t.Errorf("line %d: reject %q, want %q (all: %v)", line, got[line], reason, got)
				}
			}
		})
	}
}

// TestJSONElementCapMemory: reading a file whose one element is a 32 MiB
// string allocates a few MiB, not the element (the decoder it replaced
// buffered every element whole, and then copied it).
func TestJSONElementCapMemory(t *testing.T) {
	const size = 32 << 20
	data := `[{"file_name":"` + strings.Repeat("x", size) + `.png","syms":[],"boxes":[]},{"file_name":"a.png","syms":[],"boxes":[]}]`
	p, rej := testPreparer(t)
	path := fuzzFile(t, "big.json", []byte(data))
	data = "" //nolint:ineffassign // drops the only reference to 32 MB before measuring
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	err := p.readFile(chestXDetJSON{size: pngSize(nil, chestXDetSize)}, path)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 4*maxJSONElementBytes {
		t.Errorf("reading a %d MiB element allocated %d MiB, want at most %d", size>>20, alloc>>20, 4*maxJSONElementBytes>>20)
	}
	s := p.inputs["chestxdet"]
	if s.RowsRead != 2 || s.RowsRejected != 1 || rej.Len() > 2*keptBytes+200 {
		t.Errorf("read %d, rejected %d, rejects %d bytes", s.RowsRead, s.RowsRejected, rej.Len())
	}
}

// TestJSONArrayErrors: a file that is not a JSON array, or breaks off,
// fails naming the file and line, as before.
func TestJSONArrayErrors(t *testing.T) {
	tests := []struct {
		data string
		line string
	}{
		{"", ":1:"},
		{"\n\n{}", ":3:"},
		{"[\n{\"a\":1},\n{\"a\":", ":3:"},
		{"[\n{\"a\":1}\n{\"a\":1}]", ":3:"},
		{"[\n{\"a\":1},\n{\"a\":}]", ":3:"},
		{"[\n{\"a\":1},\n]", ":3:"},
		{"[\n\"" + strings.Repeat("x", maxJSONElementBytes+1), ":2:"},
	}
	for _, tt := range tests {
		path := fuzzFile(t, "a.json", []byte(tt.data))
		n := 0
		err := forEachArrayElement(context.Background(), path, func(jsonElement) error { n++; return nil })
		if err == nil || !strings.Contains(err.Error(), path+tt.line) {
			t.Errorf("%.40q: err %v, want %s%s", tt.data, err, path, tt.line)
		}
	}
}

// TestJSONArrayHonoursContext: a cancelled read stops at the next element.
func TestJSONArrayHonoursContext(t *testing.T) {
	path := fuzzFile(t, "a.json", []byte("["+strings.Repeat(`{"a":1},`, 1000)+`{"a":1}]`))
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	err := forEachArrayElement(ctx, path, func(jsonElement) error {
		n++
		if n == 3 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) || n != 3 {
		t.Fatalf("after cancel: %d elements, err %v", n, err)
	}
}

// FuzzArrayElements: for any valid JSON array, the element scanner yields
// exactly the elements encoding/json finds, at non-decreasing lines, and
// rejects an element only for invalid UTF-8.
func FuzzArrayElements(f *testing.F) {
	f.Add([]byte(`[{"a":"x\"]}"},[1,[2]],"s\\\\",-1.5e3,true,null]`))
	f.Add([]byte("[\n{\"file_name\": \"a.png\", \"syms\": [], \"boxes\": []}\n]\n"))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var want []json.RawMessage
		if json.Unmarshal(data, &want) != nil || want == nil {
			return
		}
		path := fuzzFile(t, "a.json", data)
		var got []jsonElement
		if err := forEachArrayElement(context.Background(), path, func(el jsonElement) error {
			got = append(got, el)
			return nil
		}); err != nil {
			t.Fatalf("%q: %v", data, err)
		}
		if len(got) != len(want) {
			t.Fatalf("%q: %d elements, want %d", data, len(got), len(want))
		}
		line := 1
		for i, el := range got {
			if el.line < line {
				t.Fatalf("%q: element %d at line %d after line %d", data, i, el.line, line)
			}
			line = el.line
			if el.reject != nil {
				if utf8.Valid(want[i]) {
					t.Fatalf("%q: element %d rejected: %v", data, i, el.reject)
				}
				continue
			}
			if !bytes.Equal(el.raw, want[i]) {
				t.Fatalf("%q: element %d = %s, want %s", data, i, el.raw, want[i])
			}
		}
	})
}

// TestID2LabelBounded: the mirror's id2label.json is read up to the
// element bound, so a huge one fails naming the file instead of being
// read whole; a normal one still reads.
func TestID2LabelBounded(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "id2label.json")
	huge := `{"1": "` + strings.Repeat("x", maxJSONElementBytes) + `"}`
	if err := os.WriteFile(path, []byte(huge), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := readID2Label(dir); err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("huge id2label.json: err %v", err)
	}
	if err := os.WriteFile(path, []byte(`{"1": "Atelectasis"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	class, err := readID2Label(dir)
	if err != nil {
		t.Fatal(err)
	}
	if name, ok := class(1); !ok || name != "Atelectasis" {
		t.Fatalf("class(1) = %q, %v", name, ok)
	}
}
