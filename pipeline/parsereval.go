package pipeline

import (
	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/audit"
	"github.com/cxrkit/cxrkit/dataset"
	"github.com/cxrkit/cxrkit/eval"
	"github.com/cxrkit/cxrkit/labelmap"
)

// ScoreRulesParserOnIU scores the rules draft parser (lexicon rulesPath,
// or the embedded default) on IU-Xray reports against their MeSH labels.
// Reports without indexing or without text are skipped and counted.
func ScoreRulesParserOnIU(reportsPath, rulesPath string, vocab *labelmap.Vocabulary, uncertainAsAbsent bool) (rep eval.ParserReport, skipped int, err error) {
	p, err := audit.NewRulesParser(rulesPath)
	if err != nil {
		return rep, 0, err
	}
	var items []eval.ParserItem
	err = dataset.ReadIUReports(reportsPath, func(r dataset.IUReport) error {
		if !r.Indexed() || r.Text() == "" {
			skipped++
			return nil
		}
		it := eval.ParserItem{ID: r.UID, Gold: r.Labels(vocab), Rules: map[labelmap.Label]string{}}
		for _, d := range p.Explain(r.Text()) {
			it.Rules[d.Label] = d.Rule
			if d.Status != "" {
				it.Pred = append(it.Pred, cxrkit.DraftFinding{Label: d.Label, Status: d.Status, Span: d.Span})
			}
		}
		items = append(items, it)
		return nil
	})
	if err != nil {
		return rep, skipped, err
	}
	return eval.ScoreParser(items, uncertainAsAbsent), skipped, nil
}
