package eval

import (
	"fmt"
	"io"
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

// WriteMarkdown writes the parser scores and the first errors as a
// model-card section.
func (r ParserReport) WriteMarkdown(w io.Writer, title string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n> %s\n\n**Reports scored:** %d · **micro F1:** %s · **macro F1:** %s\n\n",
		title, r.Disclaimer, r.Items, f3(r.Micro.F1), f3(r.MacroF1))
	b.WriteString("| Label | N | TP | FP | FN | Precision | Recall | F1 |\n|---|---:|---:|---:|---:|---:|---:|---:|\n")
	row := func(name string, c Counts) {
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %d | %s | %s | %s |\n", name, c.N, c.TP, c.FP, c.FN, f3(c.Precision), f3(c.Recall), f3(c.F1))
	}
	for _, l := range labelmap.Positives() {
		row(string(l), r.PerLabel[l])
	}
	row("**micro**", r.Micro)
	if len(r.Errors) > 0 {
		const shown = 50
		fmt.Fprintf(&b, "\n## Errors (%d; first %d)\n\n| Report | Label | Kind | Parser span |\n|---|---|---|---|\n", len(r.Errors), min(shown, len(r.Errors)))
		for _, e := range r.Errors[:min(shown, len(r.Errors))] {
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", e.ID, e.Label, e.Kind, strings.ReplaceAll(e.Span, "|", `\|`))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
