package cxrkit

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cxrkit/cxrkit/boxes"
	"github.com/cxrkit/cxrkit/labelmap"
)

func TestReadJSONLLinesAndErrors(t *testing.T) {
	in := `{"image_id":"a","source":"nih","findings":[{"label":"cardiomegaly","box_2d":[0.1,0.2,0.3,0.4]}]}

{"image_id":"b","source":"nih","findings":[{"label":"no_finding","box_2d":null}]}
{"image_id":`
	var ids []string
	var lines []int
	err := ReadJSONL(strings.NewReader(in), "c.jsonl", func(line int, r *Record) error {
		ids = append(ids, r.ImageID)
		lines = append(lines, line)
		return nil
	})
	if err == nil || !strings.HasPrefix(err.Error(), "c.jsonl:4: ") {
		t.Fatalf("err = %v, want c.jsonl:4", err)
	}
	if strings.Join(ids, ",") != "a,b" || lines[1] != 3 {
		t.Fatalf("ids %v lines %v", ids, lines)
	}
	stop := errors.New("stop")
	err = ReadJSONL(strings.NewReader(in), "c.jsonl", func(int, *Record) error { return stop })
	if !errors.Is(err, stop) || !strings.HasPrefix(err.Error(), "c.jsonl:1: ") {
		t.Fatalf("callback error = %v", err)
	}
}

func TestReadJSONLLongLine(t *testing.T) {
	long := `{"case_id":"x","draft_text":"` + strings.Repeat("a", 200000) + `"}` + "\n"
	var got Case
	if err := ReadJSONL(strings.NewReader(long), "l", func(_ int, c *Case) error { got = *c; return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got.DraftText) != 200000 {
		t.Fatalf("draft length %d", len(got.DraftText))
	}
}

func TestResultJSONShape(t *testing.T) {
	b := boxes.Box{Y0: 0.1, X0: 0.2, Y1: 0.3, X1: 0.4}
	r := Result{CaseID: "c", ImageID: "i", ImageFindings: []Finding{{Label: labelmap.Cardiomegaly, Box: &b}, {Label: labelmap.PleuralEffusion}},
		BoxFormat: BoxFormat, Disclaimer: Disclaimer}
	data, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	for _, want := range []string{
		`"box_2d":[0.1,0.2,0.3,0.4]`, `{"label":"pleural_effusion","box_2d":null}`,
		`"audit":null`,
		`"error":null`, `"box_format":"normalized_y0x0y1x1"`, `"disclaimer":"RESEARCH`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("result JSON lacks %s:\n%s", want, s)
		}
	}
	r.Audit = &Audit{}
	data, _ = json.Marshal(r)
	if want := `"audit":{"missing_findings":[],"unsupported_claims":[],"urgent_review_flags":[]}`; !strings.Contains(string(data), want) {
		t.Errorf("result JSON lacks %s:\n%s", want, data)
	}
}

func TestPositiveLabelsCanonicalOrder(t *testing.T) {
	fs := []Finding{{Label: labelmap.Cardiomegaly}, {Label: labelmap.PleuralEffusion}, {Label: labelmap.Cardiomegaly}, {Label: labelmap.NoFinding}}
	got := PositiveLabels(fs)
	if len(got) != 2 || got[0] != labelmap.PleuralEffusion || got[1] != labelmap.Cardiomegaly {
		t.Fatalf("got %v", got)
	}
}

func TestAtomicFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "out.jsonl")
	f, err := CreateAtomic(path)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("partial\n"))
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("final file visible before commit: %v", err)
	}
	f.Abort()
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 0 {
		t.Fatalf("abort left %v", entries)
	}
	err = WriteFileAtomic(path, func(w *bufio.Writer) error { _, err := w.WriteString("done\n"); return err })
	if err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(path); string(data) != "done\n" {
		t.Fatalf("content %q", data)
	}
	boom := errors.New("boom")
	if err := WriteFileAtomic(path, func(w *bufio.Writer) error { w.WriteString("half"); return boom }); !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	if data, _ := os.ReadFile(path); string(data) != "done\n" {
		t.Fatalf("failed write replaced the file: %q", data)
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Fatalf("temp files left: %v", entries)
	}
}
