package dataset

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// referenceVQARead is the VQA reader as it was before it skipped the
// separate json.Valid pass: every element checked, then decoded.
func referenceVQARead(ctx context.Context, v vqaPairs, path string, emit func(row) error) error {
	first := true
	return forEachArrayElement(ctx, path, func(el jsonElement) error {
		raw, line := el.raw, el.line
		if el.reject != nil {
			// An unreadable element does not decide the layout.
			return emit(row{line: line, raw: string(raw), reject: el.reject})
		}
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(raw, &fields); err != nil {
			if first {
				return fmt.Errorf("%s:%d: %w", path, line, errNotVQA)
			}
			return emit(row{line: line, raw: raw, reject: fmt.Errorf("%w: %v", errMalformedRow, err)})
		}
		key, list, nested := qaList(fields)
		_, flatFinding := fields["gt_finding"]
		_, flatLoc := fields["gt_location"]
		if first && !nested && !flatFinding && !flatLoc {
			return fmt.Errorf("%s:%d: %w", path, line, errNotVQA)
		}
		first = false
		if !nested {
			return v.emitQA(raw, line, "", nil, emit)
		}
		id := jsonString(fields["image_id"])
		// Lines are counted from one pair to the next, so that a record of
		// many pairs costs its length once, not once per pair.
		base, at := offsetIn(raw, list), 0
		qaLine := line + bytes.Count(raw[:base], []byte("\n"))
		return eachObject(list, func(qa json.RawMessage, offset int) error {
			qaLine += bytes.Count(raw[base+at:base+offset], []byte("\n"))
			at = offset
			ctx := map[string]any{"image_id": id, key: qa}
			return v.emitQA(qa, qaLine, id, ctx, emit)
		})
	})
}

// checkVQASameAsReference reads path both ways and wants the same rows
// and the same error.
func checkVQASameAsReference(t *testing.T, path string) {
	t.Helper()
	v := vqaPairs{size: func(string) (Size, error) { return Size{Width: 100, Height: 100}, nil }}
	checkReadersAgree(t, path, v.read, func(ctx context.Context, p string, emit func(row) error) error {
		return referenceVQARead(ctx, v, p, emit)
	})
}

// TestVQASameAsReference: fixtures and damaged files read the same rows,
// rejects and errors as before.
func TestVQASameAsReference(t *testing.T) {
	var files []string
	for _, name := range []string{"vqa.json", "vqa_nested.json"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, string(data))
		// The same file with damaged elements appended.
		i := bytes.LastIndexByte(data, ']')
		files = append(files, string(data[:i])+`,
{"image_id":"a`+"\xff"+`","gt_finding":"Cardiomegaly","gt_location":"[1,2,3,4]"},
[1,2], 3, "x", null, {"image_id": 5},
{"image_id":"a","gt_finding":"Cardiomegaly","gt_location":"[1,2,3,4]","image_width":"w"}]`)
		files = append(files, string(data[:i])+`, {"image_id":"a","gt_finding":}]`)
	}
	files = append(files, `[{"image_id": 1}]`, `[[1]]`, `[{"image_id":"a"} {"x":1}]`, `[`, ``, `[]`)
	for i, data := range files {
		checkVQASameAsReference(t, fuzzFile(t, fmt.Sprintf("v%d.json", i), []byte(data)))
	}
}

// FuzzVQASameAsReference: any file reads the same as before.
func FuzzVQASameAsReference(f *testing.F) {
	f.Add([]byte(`[{"image_id":"a","gt_finding":"Cardiomegaly","gt_location":"[1,2,3,4]","image_width":10,"image_height":10}]`))
	f.Add([]byte(`[{"image_id":"a","num_questions":1,"qa":[{"gt_finding":"Nodule","gt_location":"<loc_1_2_3_4>"}]},[1]]`))
	in := filepath.Join(f.TempDir(), "q.json")
	f.Fuzz(func(t *testing.T, data []byte) {
		checkVQASameAsReference(t, fuzzInput(t, in, data))
	})
}

// BenchmarkVQARead reads the nested fixture's records repeated 2000
// times, as before (reference: json.Valid, then decoding) and now.
func BenchmarkVQARead(b *testing.B) {
	data, err := os.ReadFile(filepath.Join("testdata", "vqa_nested.json"))
	if err != nil {
		b.Fatal(err)
	}
	var els []json.RawMessage
	if err := json.Unmarshal(data, &els); err != nil {
		b.Fatal(err)
	}
	var big []json.RawMessage
	for range 2000 {
		big = append(big, els...)
	}
	out, err := json.Marshal(big)
	if err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(b.TempDir(), "vqa.json")
	if err := os.WriteFile(path, out, 0o644); err != nil {
		b.Fatal(err)
	}
	v := vqaPairs{size: func(string) (Size, error) { return Size{Width: 100, Height: 100}, nil }}
	for _, tt := range []struct {
		name string
		read func(context.Context, string, func(row) error) error
	}{
		{"reference", func(ctx context.Context, p string, emit func(row) error) error {
			return referenceVQARead(ctx, v, p, emit)
		}},
		{"now", v.read},
	} {
		b.Run(tt.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := tt.read(context.Background(), path, func(row) error { return nil }); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
