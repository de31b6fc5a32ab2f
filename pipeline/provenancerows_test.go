package pipeline

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cxrkit/cxrkit"
)

// TestRunProvenanceCountsFilteredRows: with audit.splits set, run's eval
// reports record every synth case and corpus record read, and those left
// out by the split filter as dropped with the reason, so rows read = rows
// used + rows dropped. Before, the rows were counted before the filter
// and the report claimed all of them.
func TestRunProvenanceCountsFilteredRows(t *testing.T) {
	path, out := quickstartIn(t, func(s string) string {
		return strings.Replace(s, "  grounding: gold", "  grounding: gold\n  splits: [validation]", 1)
	})
	c, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Eval.Images {
		t.Skip("the quickstart no longer evaluates images")
	}
	if _, err := Run(context.Background(), c, RunOptions{}); err != nil {
		t.Fatal(err)
	}
	cases, _ := cxrkit.LoadJSONL[cxrkit.Case](filepath.Join(out, "synth", "cases.jsonl"))
	corpus, _ := cxrkit.LoadJSONL[cxrkit.Record](filepath.Join(out, "prepare", "corpus.jsonl"))
	inSplit, images := 0, map[string]bool{}
	for _, cs := range cases {
		if cs.Split == cxrkit.SplitValidation {
			inSplit++
			images[string(cs.Source)+":"+cs.ImageID] = true
		}
	}
	if inSplit == 0 || inSplit == len(cases) || len(images) == len(corpus) {
		t.Fatalf("%d of %d cases in validation: the fixture no longer tests filtering", inSplit, len(cases))
	}
	input := func(report, flag string) cxrkit.InputFile {
		var rep struct {
			Provenance *cxrkit.Provenance `json:"provenance"`
		}
		data, err := os.ReadFile(filepath.Join(out, "eval", report+".json"))
		if err != nil || json.Unmarshal(data, &rep) != nil || rep.Provenance == nil {
			t.Fatalf("%s: no provenance (%v)", report, err)
		}
		for _, in := range rep.Provenance.Inputs {
			if in.Flag == flag {
				return in
			}
		}
		t.Fatalf("%s: no input %q", report, flag)
		return cxrkit.InputFile{}
	}
	for _, c := range []struct {
		report, flag string
		read, used   int
	}{
		{"audit_report", "synth cases", len(cases), inSplit},
		{"image_report", "synth cases", len(cases), inSplit},
		{"image_report", "prepare corpus", len(corpus), len(images)},
		{"audit_report", "audit results", inSplit, inSplit},
	} {
		in := input(c.report, c.flag)
		if in.Rows != c.read || in.RowsUsed() != c.used {
			t.Errorf("%s %s: %d read, %d used (%v); want %d read, %d used", c.report, c.flag, in.Rows, in.RowsUsed(), in.Dropped, c.read, c.used)
		}
	}
}
