package eval

import (
	"fmt"
	"html"
	"io"
	"strings"
)

const htmlHead = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>%s</title>
<style>
body{font:15px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:980px;margin:0 auto;padding:0 16px 48px;color:#1b1f24;background:#fff}
.ribbon{background:#8a1c1c;color:#fff;padding:8px 12px;font-weight:600;margin:0 -16px 16px}
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5em 0;font-variant-numeric:tabular-nums}
th,td{border:1px solid #ddd;padding:3px 8px;text-align:right}th:first-child,td:first-child{text-align:left}
th{background:#f4f6f8}.muted{color:#667}
svg text{font:12px system-ui,sans-serif;fill:#1b1f24}
</style></head><body>
<div class="ribbon" role="note">%s</div>
<h1>%s</h1>
`

// WriteHTML writes a self-contained report page (inline CSS and SVG, no
// scripts, no external assets).
func (r *ImageReport) WriteHTML(w io.Writer, title string) error {
	var b strings.Builder
	fmt.Fprintf(&b, htmlHead, html.EscapeString(title), html.EscapeString(r.Disclaimer), html.EscapeString(title))
	r.htmlBody(&b, "")
	b.WriteString("</body></html>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func (r *ImageReport) htmlBody(b *strings.Builder, prefix string) {
	fmt.Fprintf(b, "<p>Images: <b>%d</b> · parse failures: <b>%d</b> (%d without a prediction)", r.NImages, r.ParseFailures, r.MissingPredictions)
	if r.Bootstrap.Resamples > 0 {
		fmt.Fprintf(b, " · intervals: %d bootstrap resamples, seed %d", r.Bootstrap.Resamples, r.Bootstrap.Seed)
	}
	b.WriteString("</p>\n")
	fmt.Fprintf(b, "<h2>%sPresence F1 by label</h2>\n", prefix)
	var bars []bar
	for _, k := range r.Presence.PerLabel.Keys {
		p := r.Presence.PerLabel.Values[k]
		bars = append(bars, bar{label: k, value: p.F1, ci: p.F1CI})
	}
	bars = append(bars, bar{label: "macro F1", value: r.Presence.MacroF1, ci: r.Presence.MacroF1CI, strong: true})
	b.WriteString(barChart(bars, 0, 1))
	b.WriteString("<table><tr><th>Label</th><th>N</th><th>TP</th><th>FP</th><th>FN</th><th>Precision</th><th>Recall</th><th>F1</th><th>95% CI</th></tr>\n")
	for _, k := range r.Presence.PerLabel.Keys {
		p := r.Presence.PerLabel.Values[k]
		fmt.Fprintf(b, "<tr><td>%s</td><td>%d</td><td>%d</td><td>%d</td><td>%d</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>\n",
			k, p.N, p.TP, p.FP, p.FN, f3(p.Precision), f3(p.Recall), f3(p.F1), ciText(p.F1CI))
	}
	fmt.Fprintf(b, "<tr><td><b>Macro F1</b></td><td colspan=6></td><td><b>%s</b></td><td>%s</td></tr>\n", f3(r.Presence.MacroF1), ciText(r.Presence.MacroF1CI))
	fmt.Fprintf(b, "<tr><td class=muted>Macro F1, defined labels only</td><td colspan=6></td><td>%s</td><td>%s</td></tr></table>\n", f3(r.Presence.MacroF1Defined), ciText(r.Presence.MacroF1DefinedCI))
	fmt.Fprintf(b, "<h2>%sLocalization rate by IoU threshold</h2>\n", prefix)
	bars = bars[:0]
	for _, t := range r.Localization.Keys {
		l := r.Localization.Values[t]
		bars = append(bars, bar{label: "IoU ≥ " + t, value: l.Rate, ci: l.RateCI})
	}
	b.WriteString(barChart(bars, 0, 1))
	fmt.Fprintf(b, "<p>Mean IoU of pairs matched at IoU ≥ %g: <b>%s</b></p>\n", r.MeanIoUThreshold, f3(r.MeanIoUMatched))
	fmt.Fprintf(b, "<h2>%sUrgent recall</h2>\n<table><tr><th>Label</th><th>k / n</th><th>Recall</th><th>95%% CI</th></tr>\n", prefix)
	for _, k := range r.UrgentRecall.Keys {
		u := r.UrgentRecall.Values[k]
		fmt.Fprintf(b, "<tr><td>%s</td><td>%d / %d</td><td>%s</td><td>%s</td></tr>\n", k, u.K, u.N, f3(u.Recall), ciText(u.CI))
	}
	b.WriteString("</table>\n")
}

// WriteHTML writes a head-to-head comparison page.
func (r *CompareReport) WriteHTML(w io.Writer, title, nameA, nameB string) error {
	var b strings.Builder
	fmt.Fprintf(&b, htmlHead, html.EscapeString(title), html.EscapeString(r.Disclaimer), html.EscapeString(title))
	fmt.Fprintf(&b, "<p>A = <code>%s</code>, B = <code>%s</code>. Differences are B − A with paired bootstrap 95%% intervals.</p>\n<h2>Head to head (B − A)</h2>\n",
		html.EscapeString(nameA), html.EscapeString(nameB))
	var rows []bar
	for _, k := range r.Diff.Keys {
		d := r.Diff.Values[k]
		rows = append(rows, bar{label: k + " (" + d.Winner + ")", value: d.Value, ci: d.CI})
	}
	b.WriteString(forestChart(rows))
	b.WriteString("<h2>A</h2>\n")
	r.A.htmlBody(&b, "A: ")
	b.WriteString("<h2>B</h2>\n")
	r.B.htmlBody(&b, "B: ")
	b.WriteString("</body></html>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteHTML writes an audit-mode report page.
func (r *AuditReport) WriteHTML(w io.Writer, title string) error {
	var b strings.Builder
	fmt.Fprintf(&b, htmlHead, html.EscapeString(title), html.EscapeString(r.Disclaimer), html.EscapeString(title))
	fmt.Fprintf(&b, "<p>Cases: <b>%d</b> · without a result: %d · with an error: %d · grounding failed: %d</p>\n<h2>Flag F1</h2>\n", r.Cases, r.MissingResults, r.Errors, r.GroundingFails)
	var bars []bar
	for _, k := range r.Flags.Keys {
		bars = append(bars, bar{label: k, value: r.Flags.Values[k].F1})
	}
	b.WriteString(barChart(bars, 0, 1))
	b.WriteString("<h2>Exact match by case type</h2>\n")
	bars = bars[:0]
	for _, k := range r.ExactMatch.Keys {
		e := r.ExactMatch.Values[k]
		bars = append(bars, bar{label: fmt.Sprintf("%s (%d)", k, e.N), value: e.Accuracy, strong: k == "all"})
	}
	b.WriteString(barChart(bars, 0, 1))
	b.WriteString("</body></html>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

type bar struct {
	label  string
	value  *float64
	ci     *[2]float64
	strong bool
}

const (
	chartLabelW = 260
	chartPlotW  = 420
	chartRowH   = 24
)

// barChart draws horizontal bars on [lo, hi] with interval whiskers.
func barChart(bars []bar, lo, hi float64) string {
	var b strings.Builder
	h := len(bars)*chartRowH + 28
	fmt.Fprintf(&b, `<svg role="img" width="%d" height="%d" viewBox="0 0 %d %d">`, chartLabelW+chartPlotW+70, h, chartLabelW+chartPlotW+70, h)
	x := func(v float64) float64 { return chartLabelW + (v-lo)/(hi-lo)*chartPlotW }
	for _, t := range []float64{0, 0.25, 0.5, 0.75, 1} {
		fmt.Fprintf(&b, `<line x1="%.1f" y1="0" x2="%.1f" y2="%d" stroke="#e3e6ea"/><text x="%.1f" y="%d" text-anchor="middle">%.2g</text>`,
			x(t), x(t), h-16, x(t), h-2, t)
	}
	for i, br := range bars {
		y := i*chartRowH + 4
		weight := ""
		if br.strong {
			weight = ` font-weight="700"`
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end"%s>%s</text>`, chartLabelW-8, y+14, weight, html.EscapeString(br.label))
		if br.value == nil {
			fmt.Fprintf(&b, `<text x="%d" y="%d" fill="#667">undefined</text>`, chartLabelW+4, y+14)
			continue
		}
		fill := "#3b6ea8"
		if br.strong {
			fill = "#1d3f66"
		}
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.1f" height="16" fill="%s"><title>%s: %.3f</title></rect>`,
			chartLabelW, y, x(*br.value)-chartLabelW, fill, html.EscapeString(br.label), *br.value)
		if br.ci != nil {
			fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#111" stroke-width="1.5"/>`, x(br.ci[0]), y+8, x(br.ci[1]), y+8)
			fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#111"/><line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#111"/>`,
				x(br.ci[0]), y+3, x(br.ci[0]), y+13, x(br.ci[1]), y+3, x(br.ci[1]), y+13)
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%d">%.3f</text>`, x(1)+6, y+14, *br.value)
	}
	b.WriteString("</svg>\n")
	return b.String()
}

// forestChart draws differences with intervals around a zero line.
func forestChart(rows []bar) string {
	span := 0.05
	for _, r := range rows {
		if r.value != nil {
			span = max(span, abs(*r.value))
		}
		if r.ci != nil {
			span = max(span, abs(r.ci[0]), abs(r.ci[1]))
		}
	}
	var b strings.Builder
	h := len(rows)*chartRowH + 28
	fmt.Fprintf(&b, `<svg role="img" width="%d" height="%d" viewBox="0 0 %d %d">`, chartLabelW+chartPlotW+70, h, chartLabelW+chartPlotW+70, h)
	x := func(v float64) float64 { return chartLabelW + (v+span)/(2*span)*chartPlotW }
	fmt.Fprintf(&b, `<line x1="%.1f" y1="0" x2="%.1f" y2="%d" stroke="#888" stroke-dasharray="4 3"/>`, x(0), x(0), h-16)
	fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">A better</text><text x="%.1f" y="%d" text-anchor="middle">B better</text>`,
		x(-span/2), h-2, x(span/2), h-2)
	for i, r := range rows {
		y := i*chartRowH + 4
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end">%s</text>`, chartLabelW-8, y+14, html.EscapeString(r.label))
		if r.value == nil {
			continue
		}
		if r.ci != nil {
			fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#111" stroke-width="1.5"/>`, x(r.ci[0]), y+8, x(r.ci[1]), y+8)
		}
		fmt.Fprintf(&b, `<circle cx="%.1f" cy="%d" r="4" fill="#3b6ea8"><title>%.3f</title></circle>`, x(*r.value), y+8, *r.value)
	}
	b.WriteString("</svg>\n")
	return b.String()
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}
