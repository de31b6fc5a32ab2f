package pipeline

import (
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
		items = append(items, eval.ParserItem{ID: r.UID, Gold: r.Labels(vocab), Pred: p.Parse(r.Text())})
		return nil
	})
	if err != nil {
		return rep, skipped, err
	}
	return eval.ScoreParser(items, uncertainAsAbsent), skipped, nil
}
