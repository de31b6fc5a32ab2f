package eval

import (
	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/labelmap"
)

// ParserItem is one text with its reference labels and a parser's output.
type ParserItem struct {
	ID   string
	Gold []labelmap.Label
	Pred []cxrkit.DraftFinding
	// Rules names, per label, the parser rule that decided it (empty when
	// the parser does not say).
	Rules map[labelmap.Label]string
}

// ParserReport scores a draft parser on present labels: a label is
// predicted when the parser says present (or uncertain, unless
// UncertainAsAbsent), and gold when the reference lists it.
type ParserReport struct {
	// Parser names the draft parser scored (rules or llm).
	Parser string `json:"parser,omitempty"`
	Items  int    `json:"items"`
	// ParseFailures counts texts the parser could not read (an LLM's
	// transport error or unparseable answer); they are scored as silent.
	ParseFailures int                       `json:"parse_failures"`
	PerLabel      map[labelmap.Label]Counts `json:"per_label"`
	Micro         Counts                    `json:"micro"`
	MacroF1       *float64                  `json:"macro_f1"`
	// Confusion crosses, per label, the reference (gold yes/no) with what
	// the parser said.
	Confusion map[labelmap.Label]ParserConfusion `json:"confusion"`
	// Errors lists the items the parser got wrong, for inspection.
	Errors []ParserError `json:"errors,omitempty"`
	// Provenance records what produced the report (set by the caller).
	Provenance *cxrkit.Provenance `json:"provenance"`
	Disclaimer string             `json:"disclaimer"`
}

// ParserError is one wrong label of one item.
type ParserError struct {
	ID    string         `json:"id"`
	Label labelmap.Label `json:"label"`
	Kind  string         `json:"kind"` // fp or fn
	// Said is what the parser said of the label (see ParserConfusion).
	Said ParserSaid `json:"said"`
	Span string     `json:"span,omitempty"`
	// Rule is the parser rule that decided the label; empty when no rule
	// named it (a finding the parser did not see).
	Rule string `json:"rule,omitempty"`
}

// ParserSaid is what a parser said of one label in one text.
type ParserSaid string

// What a parser can say of a label: a draft status, named without a claim
// (a request or history), or nothing at all.
const (
	SaidPresent     ParserSaid = "present"
	SaidUncertain   ParserSaid = "uncertain"
	SaidAbsent      ParserSaid = "absent"
	SaidNotAsserted ParserSaid = "not_asserted"
	SaidSilent      ParserSaid = "silent"
)

// ParserSaidOrder is the column order of a confusion table.
var ParserSaidOrder = []ParserSaid{SaidPresent, SaidUncertain, SaidAbsent, SaidNotAsserted, SaidSilent}

// ParserConfusion counts, for one label, the texts by reference (Gold:
// the reference lists the label; NotGold: it does not) and by what the
// parser said.
type ParserConfusion struct {
	Gold    map[ParserSaid]int `json:"gold"`
	NotGold map[ParserSaid]int `json:"not_gold"`
}

// said is what an item's parser output says of l.
func (it ParserItem) said(l labelmap.Label) ParserSaid {
	for _, d := range it.Pred {
		if d.Label == l {
			switch d.Status {
			case cxrkit.Present:
				return SaidPresent
			case cxrkit.Uncertain:
				return SaidUncertain
			case cxrkit.Absent:
				return SaidAbsent
			}
		}
	}
	if _, ok := it.Rules[l]; ok {
		return SaidNotAsserted
	}
	return SaidSilent
}

// ScoreParser computes per-label and micro precision, recall and F1.
func ScoreParser(items []ParserItem, uncertainAsAbsent bool) ParserReport {
	rep := ParserReport{Items: len(items), PerLabel: map[labelmap.Label]Counts{}, Confusion: map[labelmap.Label]ParserConfusion{}, Disclaimer: cxrkit.Disclaimer}
	per := map[labelmap.Label]*Counts{}
	for _, l := range labelmap.Positives() {
		per[l] = &Counts{}
		rep.Confusion[l] = ParserConfusion{Gold: map[ParserSaid]int{}, NotGold: map[ParserSaid]int{}}
	}
	for _, it := range items {
		var gold, pred [labelmap.NumLabels]bool
		spans := map[labelmap.Label]string{}
		for _, l := range it.Gold {
			if l.Positive() {
				gold[l.Index()] = true
			}
		}
		for _, d := range it.Pred {
			if !d.Label.Positive() {
				continue
			}
			if d.Status == cxrkit.Present || (d.Status == cxrkit.Uncertain && !uncertainAsAbsent) {
				pred[d.Label.Index()] = true
			}
			spans[d.Label] = d.Span
		}
		for _, l := range labelmap.Positives() {
			g, p := gold[l.Index()], pred[l.Index()]
			said := it.said(l)
			if g {
				rep.Confusion[l].Gold[said]++
			} else {
				rep.Confusion[l].NotGold[said]++
			}
			c := per[l]
			switch {
			case g && p:
				c.TP++
			case p:
				c.FP++
				rep.Errors = append(rep.Errors, ParserError{ID: it.ID, Label: l, Kind: "fp", Said: said, Span: spans[l], Rule: it.Rules[l]})
			case g:
				c.FN++
				rep.Errors = append(rep.Errors, ParserError{ID: it.ID, Label: l, Kind: "fn", Said: said, Span: spans[l], Rule: it.Rules[l]})
			}
		}
	}
	var f1s []float64
	for _, l := range labelmap.Positives() {
		c := per[l]
		c.finish()
		rep.PerLabel[l] = *c
		rep.Micro.TP += c.TP
		rep.Micro.FP += c.FP
		rep.Micro.FN += c.FN
		if c.F1 != nil && c.TP+c.FN > 0 {
			f1s = append(f1s, *c.F1)
		}
	}
	rep.Micro.finish()
	rep.MacroF1 = mean(f1s)
	return rep
}
