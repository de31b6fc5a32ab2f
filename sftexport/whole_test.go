package sftexport

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/labelmap"
)

// snapshot reads every file under dir (hidden lock and staging names
// aside, which live beside it), keyed by relative path.
func snapshot(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, _ := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[rel] = data
		return nil
	})
	return out
}

func casesFile(t *testing.T, n int) string {
	path := filepath.Join(t.TempDir(), "cases.jsonl")
	var b bytes.Buffer
	enc := cxrkit.NewJSONLEncoder(&b)
	for i := range n {
		enc.Encode(cxrkit.Case{CaseID: fmt.Sprint(i), ImageID: "x", Source: "vindr", Split: "train", DraftText: "No pneumothorax.",
			DraftFindings: []cxrkit.DraftFinding{{Label: labelmap.Pneumothorax, Status: cxrkit.Absent, Span: "No pneumothorax"}}})
	}
	os.WriteFile(path, b.Bytes(), 0o644)
	return path
}

// TestFailedExportLeavesTheOldOneWhole: an export of two tasks that fails
// after its shards are complete (here: before its card) leaves the
// earlier export exactly as it was — both task folders, contract, prompts
// and card — not new shards beside the old card; the next export replaces
// it whole. With --force over foreign files, task folders are swapped one
// by one and the foreign files stay.
func TestFailedExportLeavesTheOldOneWhole(t *testing.T) {
	out := filepath.Join(t.TempDir(), "sft")
	o := Defaults()
	o.Corpus, o.Cases, o.Out = fixture(t, 3, 16), casesFile(t, 2), out
	if _, err := Export(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, out)
	if len(before) < 5 {
		t.Fatalf("first export wrote %d files", len(before))
	}
	n := Defaults()
	n.Corpus, n.Cases, n.Out = fixture(t, 5, 16), casesFile(t, 4), out
	n.beforeCard = func() error { return errors.New("killed") }
	if _, err := Export(context.Background(), n); err == nil {
		t.Fatal("the failing export succeeded")
	}
	after := snapshot(t, out)
	if len(after) != len(before) {
		t.Fatalf("after a failed export: %d files, want the %d of the old one", len(after), len(before))
	}
	for k, v := range before {
		if !bytes.Equal(after[k], v) {
			t.Errorf("%s changed by a failed export", k)
		}
	}
	n.beforeCard = nil
	s, err := Export(context.Background(), n)
	if err != nil || s.Rows[TaskGrounding]["train"]+s.Rows[TaskGrounding]["validation"] != 5 || s.Rows[TaskDraftParse]["train"] != 4 {
		t.Fatalf("second export: %v %v", err, s.Rows)
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(out), ".*")); len(left) != 1 || filepath.Base(left[0]) != ".sft.lock" {
		t.Errorf("left beside out: %v", left)
	}

	// --force over a foreign file: per task folder, the file stays.
	os.WriteFile(filepath.Join(out, "notes.txt"), []byte("mine"), 0o644)
	n.Force = true
	if _, err := Export(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	if data, err := os.ReadFile(filepath.Join(out, "notes.txt")); err != nil || string(data) != "mine" {
		t.Fatalf("--force lost a foreign file: %q %v", data, err)
	}
}

func TestWholeSwapPossible(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "sft")
	os.MkdirAll(filepath.Join(target, "sub"), 0o755)
	link := filepath.Join(dir, "link")
	os.Symlink(target, link)
	wd, _ := os.Getwd()
	tests := []struct {
		out  string
		want bool
	}{
		{target, true},
		{filepath.Join(dir, "absent"), false},
		{link, false},
		{wd, false},
		{filepath.Dir(wd), false},
		{string(filepath.Separator), false},
	}
	for _, tt := range tests {
		if got := wholeSwapPossible(tt.out); got != tt.want {
			t.Errorf("wholeSwapPossible(%s) = %v, want %v", tt.out, got, tt.want)
		}
	}
}
