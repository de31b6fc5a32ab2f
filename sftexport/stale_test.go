package sftexport

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/labelmap"
)

// TestNarrowerExportRemovesStaleTasks: exporting only grounding over a
// folder that held draft_parse must not leave the old draft_parse shards
// beside a contract that no longer describes them, nor let Verify read them.
func TestNarrowerExportRemovesStaleTasks(t *testing.T) {
	dir := t.TempDir()
	cases := filepath.Join(dir, "cases.jsonl")
	var b bytes.Buffer
	enc := cxrkit.NewJSONLEncoder(&b)
	for i := range 3 {
		enc.Encode(cxrkit.Case{CaseID: fmt.Sprint(i), ImageID: "x", Source: "vindr", Split: "train", DraftText: "No pneumothorax.",
			DraftFindings: []cxrkit.DraftFinding{{Label: labelmap.Pneumothorax, Status: cxrkit.Absent, Span: "No pneumothorax"}}})
	}
	os.WriteFile(cases, b.Bytes(), 0o644)
	corpus := fixture(t, 2, 32)
	out := filepath.Join(dir, "out")
	if _, err := Export(context.Background(), Options{Corpus: corpus, Cases: cases, Out: out}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(out, string(TaskDraftParse))); err != nil {
		t.Fatalf("full export wrote no draft_parse: %v", err)
	}
	s, err := Export(context.Background(), Options{Corpus: corpus, Out: out, Tasks: []Task{TaskGrounding}, Verify: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(out, string(TaskDraftParse))); !os.IsNotExist(err) {
		t.Fatalf("stale draft_parse folder kept: %v", err)
	}
	if s.Verified.Rows != 2 {
		t.Fatalf("verify read %d rows, want the 2 grounding rows only (%v)", s.Verified.Rows, s.Verified.RowsPerShard)
	}
	if left, _ := filepath.Glob(filepath.Join(out, stagePrefix+"*")); len(left) != 0 {
		t.Fatalf("staging left: %v", left)
	}
}
