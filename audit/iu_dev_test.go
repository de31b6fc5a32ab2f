package audit

import (
	"fmt"
	"os"
	"testing"

	"github.com/cxrkit/cxrkit/dataset"
	"github.com/cxrkit/cxrkit/eval"
	"github.com/cxrkit/cxrkit/labelmap"
)

// TestRulesParserOnIUDev scores the rules parser on the real IU-Xray dev
// reports against their MeSH headings (present statements only: IU
// annotators index stated findings, not hedged ones). IU_DIAG=<label|all>
// prints the errors; IU_UNCERTAIN=present counts hedged statements too.
func TestRulesParserOnIUDev(t *testing.T) {
	path := "../../shared/realdata/iu-xray/indiana_reports.dev.csv"
	if _, err := os.Stat(path); err != nil {
		t.Skip(err)
	}
	p, err := NewRulesParser("")
	if err != nil {
		t.Fatal(err)
	}
	v, _ := labelmap.Default()
	var items []eval.ParserItem
	texts := map[string]string{}
	dataset.ReadIUReports(path, func(r dataset.IUReport) error {
		if !r.Indexed() || r.Text() == "" {
			return nil
		}
		texts[r.UID] = r.Text() + "  || MeSH: " + fmt.Sprint(r.MeSH)
		items = append(items, eval.ParserItem{ID: r.UID, Gold: r.Labels(v), Pred: p.Parse(r.Text())})
		return nil
	})
	rep := eval.ScoreParser(items, os.Getenv("IU_UNCERTAIN") != "present")
	for _, l := range labelmap.Positives() {
		c := rep.PerLabel[l]
		t.Logf("%-28s tp %3d fp %3d fn %3d f1 %.3f", l, c.TP, c.FP, c.FN, *c.F1)
	}
	t.Logf("micro f1 %.4f (%d items)", *rep.Micro.F1, rep.Items)
	if os.Getenv("IU_UNCERTAIN") == "" {
		if *rep.Micro.F1 < 0.95 {
			t.Errorf("micro F1 %.4f below the 0.95 target", *rep.Micro.F1)
		}
		for _, l := range labelmap.Positives() {
			if f1 := *rep.PerLabel[l].F1; f1 < 0.90 {
				t.Errorf("%s F1 %.3f below the 0.90 target", l, f1)
			}
		}
	}
	if os.Getenv("IU_DIAG") != "" {
		for _, e := range rep.Errors {
			if string(e.Label) == os.Getenv("IU_DIAG") || os.Getenv("IU_DIAG") == "all" {
				t.Logf("%s %s %s | span %q\n    %s", e.Kind, e.Label, e.ID, e.Span, texts[e.ID])
			}
		}
	}
}
