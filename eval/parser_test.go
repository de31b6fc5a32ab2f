package eval

import (
	"bytes"
	"strings"
	"testing"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/labelmap"
)

func parserItems() []ParserItem {
	pe, ptx, cm := labelmap.PleuralEffusion, labelmap.Pneumothorax, labelmap.Cardiomegaly
	return []ParserItem{
		// TP effusion; FN cardiomegaly (parser said absent).
		{ID: "a", Gold: []labelmap.Label{pe, cm}, Pred: []cxrkit.DraftFinding{
			{Label: pe, Status: cxrkit.Present, Span: "small effusion"},
			{Label: cm, Status: cxrkit.Absent, Span: "heart normal"},
		}, Rules: map[labelmap.Label]string{pe: "mention.effusion", cm: "absent.heart_size_normal"}},
		// Hedged pneumothorax, not in gold: FP only when hedges count.
		{ID: "b", Pred: []cxrkit.DraftFinding{{Label: ptx, Status: cxrkit.Uncertain, Span: "possible pneumothorax"}},
			Rules: map[labelmap.Label]string{ptx: "hedge.adjective"}},
		// A nodule named in a request only; the reference lists it.
		{ID: "d", Gold: []labelmap.Label{labelmap.NoduleMass}, Rules: map[labelmap.Label]string{labelmap.NoduleMass: "req.exclude"}},
		// no_finding is never scored.
		{ID: "c", Gold: []labelmap.Label{labelmap.NoFinding}, Pred: []cxrkit.DraftFinding{{Label: labelmap.NoFinding, Status: cxrkit.Present}}},
	}
}

func TestScoreParser(t *testing.T) {
	tests := []struct {
		name              string
		uncertainAsAbsent bool
		tp, fp, fn        int
		errors            []string
	}{
		{"hedges absent", true, 1, 0, 2, []string{"a cardiomegaly fn", "d nodule_mass fn"}},
		{"hedges present", false, 1, 1, 2, []string{"a cardiomegaly fn", "b pneumothorax fp", "d nodule_mass fn"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := ScoreParser(parserItems(), tt.uncertainAsAbsent)
			if rep.Items != 4 || rep.Micro.TP != tt.tp || rep.Micro.FP != tt.fp || rep.Micro.FN != tt.fn {
				t.Fatalf("items %d micro %+v, want tp %d fp %d fn %d", rep.Items, rep.Micro, tt.tp, tt.fp, tt.fn)
			}
			var errs []string
			for _, e := range rep.Errors {
				errs = append(errs, e.ID+" "+string(e.Label)+" "+e.Kind)
			}
			if strings.Join(errs, ";") != strings.Join(tt.errors, ";") {
				t.Errorf("errors %v, want %v", errs, tt.errors)
			}
			pe := rep.PerLabel[labelmap.PleuralEffusion]
			if pe.F1 == nil || *pe.F1 != 1 {
				t.Errorf("effusion F1 %v, want 1", pe.F1)
			}
			if f1 := rep.PerLabel[labelmap.NoduleMass].F1; f1 == nil || *f1 != 0 {
				t.Errorf("nodule F1 %v with one missed gold, want 0", f1)
			}
			// Macro averages labels with gold: effusion 1, cardiomegaly 0, nodule 0.
			if rep.MacroF1 == nil || *rep.MacroF1 != 1.0/3 {
				t.Errorf("macro F1 %v, want 1/3", rep.MacroF1)
			}
			conf := rep.Confusion
			if conf[labelmap.Cardiomegaly].Gold[SaidAbsent] != 1 || conf[labelmap.NoduleMass].Gold[SaidNotAsserted] != 1 ||
				conf[labelmap.Pneumothorax].NotGold[SaidUncertain] != 1 || conf[labelmap.Pneumothorax].NotGold[SaidSilent] != 3 {
				t.Errorf("confusion %+v", conf)
			}
		})
	}
}

func TestParserReportRenders(t *testing.T) {
	rep := ScoreParser(parserItems(), false)
	var text, md bytes.Buffer
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if err := rep.WriteMarkdown(&md, "Parser | IU"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"pleural_effusion", "micro", "tp    1 fp   1 fn   2", "macro F1 0.333", cxrkit.Disclaimer} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, text.String())
		}
	}
	for _, want := range []string{"# Parser | IU", "> " + cxrkit.Disclaimer, "| **micro** | 3 | 1 | 1 | 2 |",
		"### cardiomegaly\n\n| reference | present | uncertain | absent | not asserted | silent |\n|---|---:|---:|---:|---:|---:|\n| listed | 0 | 0 | 1 | 0 | 0 |\n| not listed | 0 | 0 | 0 | 0 | 3 |",
		"| hedge.adjective | 1 | 1 | 0 |",
		"### req.exclude (1)", "| d | nodule_mass | fn | not asserted |  |",
		"### hedge.adjective (1)", "| b | pneumothorax | fp | uncertain | possible pneumothorax |"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("markdown lacks %q:\n%s", want, md.String())
		}
	}
}
