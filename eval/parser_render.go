package eval

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/cxrkit/cxrkit/labelmap"
)

// WriteText writes the per-label and micro scores as an aligned table for
// a terminal.
func (r ParserReport) WriteText(w io.Writer) error {
	var b strings.Builder
	row := func(name string, c Counts) {
		fmt.Fprintf(&b, "  %-28s n %4d  tp %4d fp %3d fn %3d  P %s R %s F1 %s\n",
			name, c.N, c.TP, c.FP, c.FN, f3(c.Precision), f3(c.Recall), f3(c.F1))
	}
	for _, l := range labelmap.Positives() {
		row(string(l), r.PerLabel[l])
	}
	row("micro", r.Micro)
	fmt.Fprintf(&b, "  macro F1 %s\n  %s\n", f3(r.MacroF1), r.Disclaimer)
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteMarkdown writes the parser scores, a confusion table per label and
// the disagreements grouped by the parser rule that decided them, as a
// model-card section.
func (r ParserReport) WriteMarkdown(w io.Writer, title string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n> %s\n\n**Reports scored:** %d · **micro F1:** %s · **macro F1:** %s",
		title, r.Disclaimer, r.Items, f3(r.Micro.F1), f3(r.MacroF1))
	if r.Parser != "" {
		fmt.Fprintf(&b, " · **parser:** %s · **unreadable:** %d", r.Parser, r.ParseFailures)
	}
	b.WriteString("\n\n")
	b.WriteString("| Label | N | TP | FP | FN | Precision | Recall | F1 |\n|---|---:|---:|---:|---:|---:|---:|---:|\n")
	row := func(name string, c Counts) {
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %d | %s | %s | %s |\n", name, c.N, c.TP, c.FP, c.FN, f3(c.Precision), f3(c.Recall), f3(c.F1))
	}
	for _, l := range labelmap.Positives() {
		row(string(l), r.PerLabel[l])
	}
	row("**micro**", r.Micro)
	r.writeConfusion(&b)
	r.writeErrorsByRule(&b)
	markdownProvenance(&b, r.Provenance)
	_, err := io.WriteString(w, b.String())
	return err
}

// writeConfusion writes one table per label: reference rows, parser
// columns.
func (r ParserReport) writeConfusion(b *strings.Builder) {
	b.WriteString("\n## Confusion per label\n\nRows: the reference lists the label or not. Columns: what the parser said " +
		"(*not asserted*: named in a request or history; *silent*: not named).\n")
	for _, l := range labelmap.Positives() {
		c, ok := r.Confusion[l]
		if !ok {
			continue
		}
		fmt.Fprintf(b, "\n### %s\n\n| reference |", l)
		for _, s := range ParserSaidOrder {
			fmt.Fprintf(b, " %s |", strings.ReplaceAll(string(s), "_", " "))
		}
		b.WriteString("\n|---|" + strings.Repeat("---:|", len(ParserSaidOrder)) + "\n")
		for _, row := range []struct {
			name   string
			counts map[ParserSaid]int
		}{{"listed", c.Gold}, {"not listed", c.NotGold}} {
			fmt.Fprintf(b, "| %s |", row.name)
			for _, s := range ParserSaidOrder {
				fmt.Fprintf(b, " %d |", row.counts[s])
			}
			b.WriteString("\n")
		}
	}
}

// ruleNone names the group of disagreements no parser rule decided.
const ruleNone = "(none: the parser did not name the label)"

// writeErrorsByRule groups the disagreements by the rule that decided
// them, the largest group first, so a reader sees which rule to question.
func (r ParserReport) writeErrorsByRule(b *strings.Builder) {
	if len(r.Errors) == 0 {
		return
	}
	groups := map[string][]ParserError{}
	for _, e := range r.Errors {
		rule := e.Rule
		if rule == "" {
			rule = ruleNone
		}
		groups[rule] = append(groups[rule], e)
	}
	rules := make([]string, 0, len(groups))
	for rule := range groups {
		rules = append(rules, rule)
	}
	slices.SortFunc(rules, func(a, b string) int {
		return cmp.Or(cmp.Compare(len(groups[b]), len(groups[a])), cmp.Compare(a, b))
	})
	const shown = 25
	fmt.Fprintf(b, "\n## Disagreements by rule (%d)\n\n", len(r.Errors))
	b.WriteString("| Rule | Disagreements | False positives | False negatives |\n|---|---:|---:|---:|\n")
	for _, rule := range rules {
		fp := 0
		for _, e := range groups[rule] {
			if e.Kind == "fp" {
				fp++
			}
		}
		fmt.Fprintf(b, "| %s | %d | %d | %d |\n", mdCell(rule), len(groups[rule]), fp, len(groups[rule])-fp)
	}
	for _, rule := range rules {
		es := groups[rule]
		fmt.Fprintf(b, "\n### %s (%d", mdCell(rule), len(es))
		if len(es) > shown {
			fmt.Fprintf(b, "; first %d", shown)
		}
		b.WriteString(")\n\n| Report | Label | Kind | Parser said | Parser span |\n|---|---|---|---|---|\n")
		for _, e := range es[:min(shown, len(es))] {
			fmt.Fprintf(b, "| %s | %s | %s | %s | %s |\n", mdCell(e.ID), e.Label, e.Kind, strings.ReplaceAll(string(e.Said), "_", " "), mdCell(e.Span))
		}
	}
}

// mdCell makes text safe inside a Markdown table cell.
func mdCell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "\r", " ").Replace(s)
}
