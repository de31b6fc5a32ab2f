package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// TestEvalParserOnIUDev runs `cxrkit eval --iu-reports` on the real IU-Xray
// dev reports and holds the rules parser to its targets (present
// statements only: IU annotators index stated findings, not hedged ones).
// IU_DIAG=<label|all> logs the parser's errors.
func TestEvalParserOnIUDev(t *testing.T) {
	path := "../../../shared/realdata/iu-xray/indiana_reports.dev.csv"
	if _, err := os.Stat(path); err != nil {
		t.Skip(err)
	}
	out := filepath.Join(t.TempDir(), "parser.json")
	code, _, stderr := runCLI(t, "eval", "--iu-reports", path, "--out", out)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	t.Log(stderr)
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Items    int
		Micro    struct{ F1 float64 }
		PerLabel map[string]struct{ F1 float64 } `json:"per_label"`
		Errors   []struct{ ID, Label, Kind, Span string }
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Items < 100 {
		t.Fatalf("only %d reports scored", rep.Items)
	}
	if rep.Micro.F1 < 0.95 {
		t.Errorf("micro F1 %.4f below the 0.95 target", rep.Micro.F1)
	}
	if len(rep.PerLabel) != 5 {
		t.Errorf("%d labels scored, want 5", len(rep.PerLabel))
	}
	for l, c := range rep.PerLabel {
		if c.F1 < 0.90 {
			t.Errorf("%s F1 %.3f below the 0.90 target", l, c.F1)
		}
	}
	if diag := os.Getenv("IU_DIAG"); diag != "" {
		for _, e := range rep.Errors {
			if e.Label == diag || diag == "all" {
				t.Logf("%s %s %s | span %q", e.Kind, e.Label, e.ID, e.Span)
			}
		}
	}
}
