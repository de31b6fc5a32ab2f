package eval

import (
	"fmt"
	"io"
	"strings"
)

func f3(v *float64) string {
	if v == nil {
		return "—"
	}
	return fmt.Sprintf("%.3f", *v)
}

func ciText(ci *[2]float64) string {
	if ci == nil {
		return "—"
	}
	return fmt.Sprintf("[%.3f, %.3f]", ci[0], ci[1])
}

func signed(v *float64) string {
	if v == nil {
		return "—"
	}
	return fmt.Sprintf("%+.3f", *v)
}

// WriteMarkdown writes an image-mode report as a model-card table.
func (r *ImageReport) WriteMarkdown(w io.Writer, title string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n> %s\n\n", title, r.Disclaimer)
	r.markdownBody(&b)
	markdownProvenance(&b, r.Provenance)
	_, err := io.WriteString(w, b.String())
	return err
}

func (r *ImageReport) markdownBody(b *strings.Builder) {
	r.Failures.markdownBanner(b, "images")
	fmt.Fprintf(b, "**Images:** %d · %s", r.NImages, r.Failures.Summary("images"))
	if r.Bootstrap.Resamples > 0 {
		fmt.Fprintf(b, " · **intervals:** %d bootstrap resamples, seed %d", r.Bootstrap.Resamples, r.Bootstrap.Seed)
	}
	b.WriteString("\n\n## Presence\n\n| Label | N | TP | FP | FN | Precision | Recall | F1 | F1 95% CI |\n|---|---:|---:|---:|---:|---:|---:|---:|---|\n")
	for _, k := range r.Presence.PerLabel.Keys {
		p := r.Presence.PerLabel.Values[k]
		fmt.Fprintf(b, "| %s | %d | %d | %d | %d | %s | %s | %s | %s |\n", k, p.N, p.TP, p.FP, p.FN, f3(p.Precision), f3(p.Recall), f3(p.F1), ciText(p.F1CI))
	}
	fmt.Fprintf(b, "| **Macro F1** (labels in gold or predictions) | | | | | | | **%s** | %s |\n", f3(r.Presence.MacroF1), ciText(r.Presence.MacroF1CI))
	fmt.Fprintf(b, "| Macro F1, defined labels only (reference project's variant) | | | | | | | %s | %s |\n", f3(r.Presence.MacroF1Defined), ciText(r.Presence.MacroF1DefinedCI))
	b.WriteString("\n## Localization\n\nBoxes matched one-to-one within each image and label, greedily by IoU.\n\n| IoU ≥ | TP | FP | FN | Rate (recall) | Precision | Rate 95% CI |\n|---|---:|---:|---:|---:|---:|---|\n")
	for _, t := range r.Localization.Keys {
		l := r.Localization.Values[t]
		fmt.Fprintf(b, "| %s | %d | %d | %d | %s | %s | %s |\n", t, l.TP, l.FP, l.FN, f3(l.Rate), f3(l.Precision), ciText(l.RateCI))
	}
	if len(r.Localization.Keys) > 0 {
		b.WriteString("\n| Label |")
		for _, t := range r.Localization.Keys {
			fmt.Fprintf(b, " rate @%s |", t)
		}
		b.WriteString("\n|---|" + strings.Repeat("---:|", len(r.Localization.Keys)) + "\n")
		for _, k := range r.Localization.Values[r.Localization.Keys[0]].PerLabel.Keys {
			fmt.Fprintf(b, "| %s |", k)
			for _, t := range r.Localization.Keys {
				ll := r.Localization.Values[t].PerLabel.Values[k]
				fmt.Fprintf(b, " %s (%d/%d) |", f3(ll.Rate), ll.TP, ll.TP+ll.FN)
			}
			b.WriteString("\n")
		}
	}
	fmt.Fprintf(b, "\nMean IoU of pairs matched at IoU ≥ %g: %s\n", r.MeanIoUThreshold, f3(r.MeanIoUMatched))
	b.WriteString("\n## Urgent recall\n\n| Label | k / n | Recall | 95% CI |\n|---|---:|---:|---|\n")
	for _, k := range r.UrgentRecall.Keys {
		u := r.UrgentRecall.Values[k]
		fmt.Fprintf(b, "| %s | %d / %d | %s | %s |\n", k, u.K, u.N, f3(u.Recall), ciText(u.CI))
	}
	if len(r.BySource.Keys) > 0 {
		b.WriteString("\n## By source\n\n| Source | Images | Failed | Macro F1 |")
		first := r.BySource.Values[r.BySource.Keys[0]]
		for _, t := range first.Localization.Keys {
			fmt.Fprintf(b, " Localization @%s |", t)
		}
		for _, u := range first.UrgentRecall.Keys {
			fmt.Fprintf(b, " Recall %s |", u)
		}
		b.WriteString("\n|---|---:|---:|---:|" + strings.Repeat("---:|", len(first.Localization.Keys)+len(first.UrgentRecall.Keys)) + "\n")
		for _, k := range r.BySource.Keys {
			row := r.BySource.Values[k]
			fmt.Fprintf(b, "| %s | %d | %d | %s |", sourceName(k), row.Images, row.Failed, f3(row.MacroF1))
			for _, t := range row.Localization.Keys {
				fmt.Fprintf(b, " %s |", f3(row.Localization.Values[t]))
			}
			for _, u := range row.UrgentRecall.Keys {
				fmt.Fprintf(b, " %s |", f3(row.UrgentRecall.Values[u]))
			}
			b.WriteString("\n")
		}
	}
}

// WriteMarkdown writes a head-to-head comparison.
func (r *CompareReport) WriteMarkdown(w io.Writer, title, nameA, nameB string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n> %s\n\nA = `%s`, B = `%s`. Differences are B − A with paired bootstrap 95%% intervals; a winner is named only when the interval excludes 0.\n\n", title, r.Disclaimer, nameA, nameB)
	b.WriteString("| Metric | A | B | B − A | 95% CI | Winner |\n|---|---:|---:|---:|---|---|\n")
	for _, k := range r.stats {
		d := r.Diff.Values[k.String()]
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", k, f3(r.A.stat(k)), f3(r.B.stat(k)), signed(d.Value), ciText(d.CI), d.Winner)
	}
	b.WriteString("\n## A\n\n")
	r.A.markdownBody(&b)
	b.WriteString("\n## B\n\n")
	r.B.markdownBody(&b)
	markdownProvenance(&b, r.Provenance)
	_, err := io.WriteString(w, b.String())
	return err
}

// stat looks a statistic up by its key.
func (r *ImageReport) stat(k statKey) *float64 {
	switch k.kind {
	case statMacroF1:
		return r.Presence.MacroF1
	case statMacroF1Defined:
		return r.Presence.MacroF1Defined
	case statF1:
		if p, ok := r.Presence.PerLabel.Get(string(k.label)); ok {
			return p.F1
		}
	case statLocRate, statLocLabelRate:
		l, ok := r.Localization.Get(thresholdKey(k.threshold))
		if !ok {
			return nil
		}
		if k.kind == statLocRate {
			return l.Rate
		}
		if ll, ok := l.PerLabel.Get(string(k.label)); ok {
			return ll.Rate
		}
	case statUrgent:
		if u, ok := r.UrgentRecall.Get(string(k.label)); ok {
			return u.Recall
		}
	}
	return nil
}

// WriteMarkdown writes an audit-mode report.
func (r *AuditReport) WriteMarkdown(w io.Writer, title string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n> %s\n\n", title, r.Disclaimer)
	r.Failures.markdownBanner(&b, "cases")
	fmt.Fprintf(&b, "**Cases:** %d · %s\n\n", r.Cases, r.Failures.Summary("cases"))
	b.WriteString("## Flags\n\n| Flag | TP | FP | FN | Precision | Recall | F1 |\n|---|---:|---:|---:|---:|---:|---:|\n")
	for _, k := range r.Flags.Keys {
		c := r.Flags.Values[k]
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %s | %s | %s |\n", k, c.TP, c.FP, c.FN, f3(c.Precision), f3(c.Recall), f3(c.F1))
	}
	b.WriteString("\n## Exact match (all three lists right)\n\n| Case type | N | Correct | Accuracy |\n|---|---:|---:|---:|\n")
	for _, k := range r.ExactMatch.Keys {
		e := r.ExactMatch.Values[k]
		fmt.Fprintf(&b, "| %s | %d | %d | %s |\n", k, e.N, e.Correct, f3(e.Accuracy))
	}
	markdownProvenance(&b, r.Provenance)
	_, err := io.WriteString(w, b.String())
	return err
}
