package eval

import (
	"fmt"
	"html"
	"io"
	"math"
	"strings"

	"github.com/cxrkit/cxrkit"
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
.warn{border:2px solid #b35900;background:#fff4e5;padding:8px 12px;border-radius:6px;font-weight:600;margin:12px 0}
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
	htmlProvenance(&b, r.Provenance)
	b.WriteString("</body></html>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func (r *ImageReport) htmlBody(b *strings.Builder, prefix string) {
	r.Failures.htmlBanner(b, "images")
	fmt.Fprintf(b, "<p>Images: <b>%d</b> · %s", r.NImages, html.EscapeString(r.Failures.Summary("images")))
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
	b.WriteString(barChart(bars, 0, 1, "F1"))
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
	b.WriteString(barChart(bars, 0, 1, "share of gold boxes matched"))
	fmt.Fprintf(b, "<p>Mean IoU of pairs matched at IoU ≥ %g: <b>%s</b></p>\n", r.MeanIoUThreshold, f3(r.MeanIoUMatched))
	fmt.Fprintf(b, "<h2>%sUrgent recall</h2>\n<table><tr><th>Label</th><th>k / n</th><th>Recall</th><th>95%% CI</th></tr>\n", prefix)
	for _, k := range r.UrgentRecall.Keys {
		u := r.UrgentRecall.Values[k]
		fmt.Fprintf(b, "<tr><td>%s</td><td>%d / %d</td><td>%s</td><td>%s</td></tr>\n", k, u.K, u.N, f3(u.Recall), ciText(u.CI))
	}
	b.WriteString("</table>\n")
	r.bySourceHTML(b, prefix)
}

// bySourceHTML writes the per-dataset table (VinDr, NIH, ChestX-Det).
func (r *ImageReport) bySourceHTML(b *strings.Builder, prefix string) {
	if len(r.BySource.Keys) == 0 {
		return
	}
	fmt.Fprintf(b, "<h2>%sBy source</h2>\n<table><tr><th>Source</th><th>Images</th><th>Failed</th><th>Macro F1</th>", prefix)
	first := r.BySource.Values[r.BySource.Keys[0]]
	for _, t := range first.Localization.Keys {
		fmt.Fprintf(b, "<th>Localization @%s</th>", t)
	}
	for _, u := range first.UrgentRecall.Keys {
		fmt.Fprintf(b, "<th>Recall %s</th>", html.EscapeString(u))
	}
	b.WriteString("</tr>\n")
	for _, k := range r.BySource.Keys {
		row := r.BySource.Values[k]
		fmt.Fprintf(b, "<tr><td>%s</td><td>%d</td><td>%d</td><td>%s</td>", html.EscapeString(sourceName(k)), row.Images, row.Failed, f3(row.MacroF1))
		for _, t := range row.Localization.Keys {
			fmt.Fprintf(b, "<td>%s</td>", f3(row.Localization.Values[t]))
		}
		for _, u := range row.UrgentRecall.Keys {
			fmt.Fprintf(b, "<td>%s</td>", f3(row.UrgentRecall.Values[u]))
		}
		b.WriteString("</tr>\n")
	}
	b.WriteString("</table>\n<p class=muted>Per-source figures have no intervals; a source with few images says little.</p>\n")
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
	b.WriteString(forestChart(rows, "B − A"))
	b.WriteString("<h2>A</h2>\n")
	r.A.htmlBody(&b, "A: ")
	b.WriteString("<h2>B</h2>\n")
	r.B.htmlBody(&b, "B: ")
	htmlProvenance(&b, r.Provenance)
	b.WriteString("</body></html>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteHTML writes an audit-mode report page.
func (r *AuditReport) WriteHTML(w io.Writer, title string) error {
	var b strings.Builder
	fmt.Fprintf(&b, htmlHead, html.EscapeString(title), html.EscapeString(r.Disclaimer), html.EscapeString(title))
	r.Failures.htmlBanner(&b, "cases")
	fmt.Fprintf(&b, "<p>Cases: <b>%d</b> · %s</p>\n<h2>Flag F1</h2>\n", r.Cases, html.EscapeString(r.Failures.Summary("cases")))
	var bars []bar
	for _, k := range r.Flags.Keys {
		bars = append(bars, bar{label: k, value: r.Flags.Values[k].F1})
	}
	b.WriteString(barChart(bars, 0, 1, "F1"))
	b.WriteString("<h2>Exact match by case type</h2>\n")
	bars = bars[:0]
	for _, k := range r.ExactMatch.Keys {
		e := r.ExactMatch.Values[k]
		bars = append(bars, bar{label: fmt.Sprintf("%s (%d)", k, e.N), value: e.Accuracy, strong: k == exactMatchAll})
	}
	b.WriteString(barChart(bars, 0, 1, "share of cases with all three lists right"))
	htmlProvenance(&b, r.Provenance)
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
	chartPlotW = 420
	chartRowH  = 24
	// chartCharW is a generous width of one 12px character, so labels are
	// never clipped; chartValueW leaves room for the value after a bar.
	chartCharW  = 7.2
	chartValueW = 70
)

// labelWidth is the width of the label column: the longest label fits.
func labelWidth(bars []bar) int {
	w := 120
	for _, b := range bars {
		w = max(w, int(float64(len([]rune(b.label)))*chartCharW)+16)
	}
	return w
}

// axis draws numbered ticks under the plot and the axis title below them.
func axis(b *strings.Builder, x func(float64) float64, ticks []float64, format string, top, plotLeft int, title string) {
	fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#888"/>`, plotLeft, top, plotLeft+chartPlotW, top)
	for _, t := range ticks {
		fmt.Fprintf(b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#888"/><text x="%.1f" y="%d" text-anchor="middle">`+format+`</text>`,
			x(t), top, x(t), top+4, x(t), top+16, t)
	}
	if title != "" {
		fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="middle" fill="#555">%s</text>`, plotLeft+chartPlotW/2, top+32, html.EscapeString(title))
	}
}

// barChart draws horizontal bars on [lo, hi] with interval whiskers, a
// numbered x axis and the axis title.
func barChart(bars []bar, lo, hi float64, title string) string {
	var b strings.Builder
	labelW := labelWidth(bars)
	top := len(bars)*chartRowH + 4
	h, w := top+40, labelW+chartPlotW+chartValueW
	fmt.Fprintf(&b, `<svg role="img" width="%d" height="%d" viewBox="0 0 %d %d">`, w, h, w, h)
	x := func(v float64) float64 { return float64(labelW) + (v-lo)/(hi-lo)*chartPlotW }
	ticks := []float64{0, 0.25, 0.5, 0.75, 1}
	for _, t := range ticks {
		fmt.Fprintf(&b, `<line x1="%.1f" y1="0" x2="%.1f" y2="%d" stroke="#e3e6ea"/>`, x(t), x(t), top)
	}
	axis(&b, x, ticks, "%.2f", top, labelW, title)
	for i, br := range bars {
		y := i*chartRowH + 4
		weight := ""
		if br.strong {
			weight = ` font-weight="700"`
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end"%s>%s</text>`, labelW-8, y+14, weight, html.EscapeString(br.label))
		if br.value == nil {
			fmt.Fprintf(&b, `<text x="%d" y="%d" fill="#667">undefined</text>`, labelW+4, y+14)
			continue
		}
		fill := "#3b6ea8"
		if br.strong {
			fill = "#1d3f66"
		}
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.1f" height="16" fill="%s"><title>%s: %.3f</title></rect>`,
			labelW, y, x(*br.value)-float64(labelW), fill, html.EscapeString(br.label), *br.value)
		if br.ci != nil {
			fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#111" stroke-width="1.5"/>`, x(br.ci[0]), y+8, x(br.ci[1]), y+8)
			fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#111"/><line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#111"/>`,
				x(br.ci[0]), y+3, x(br.ci[0]), y+13, x(br.ci[1]), y+3, x(br.ci[1]), y+13)
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%d">%.3f</text>`, x(hi)+6, y+14, *br.value)
	}
	b.WriteString("</svg>\n")
	return b.String()
}

// forestChart draws differences with intervals around a zero line, on a
// numbered symmetric axis.
func forestChart(rows []bar, title string) string {
	span := 0.05
	for _, r := range rows {
		if r.value != nil {
			span = max(span, math.Abs(*r.value))
		}
		if r.ci != nil {
			span = max(span, math.Abs(r.ci[0]), math.Abs(r.ci[1]))
		}
	}
	span = niceCeil(span)
	var b strings.Builder
	labelW := labelWidth(rows)
	top := len(rows)*chartRowH + 4
	h, w := top+56, labelW+chartPlotW+chartValueW
	fmt.Fprintf(&b, `<svg role="img" width="%d" height="%d" viewBox="0 0 %d %d">`, w, h, w, h)
	x := func(v float64) float64 { return float64(labelW) + (v+span)/(2*span)*chartPlotW }
	fmt.Fprintf(&b, `<line x1="%.1f" y1="0" x2="%.1f" y2="%d" stroke="#888" stroke-dasharray="4 3"/>`, x(0), x(0), top)
	axis(&b, x, []float64{-span, -span / 2, 0, span / 2, span}, "%+.3f", top, labelW, title)
	fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle" fill="#555">← A better</text><text x="%.1f" y="%d" text-anchor="middle" fill="#555">B better →</text>`,
		x(-span/2), h-4, x(span/2), h-4)
	for i, r := range rows {
		y := i*chartRowH + 4
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end">%s</text>`, labelW-8, y+14, html.EscapeString(r.label))
		if r.value == nil {
			continue
		}
		if r.ci != nil {
			fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#111" stroke-width="1.5"/>`, x(r.ci[0]), y+8, x(r.ci[1]), y+8)
		}
		fmt.Fprintf(&b, `<circle cx="%.1f" cy="%d" r="4" fill="#3b6ea8"><title>%.3f</title></circle>`, x(*r.value), y+8, *r.value)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d">%+.3f</text>`, x(span)+6, y+14, *r.value)
	}
	b.WriteString("</svg>\n")
	return b.String()
}

// niceCeil rounds v up to 1, 2, 2.5 or 5 times a power of ten, so axis
// ticks at halves of it read easily.
func niceCeil(v float64) float64 {
	p := 1.0
	for p > v {
		p /= 10
	}
	for p*10 <= v {
		p *= 10
	}
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

// sourceName is how reports name a corpus source.
func sourceName(s string) string {
	switch cxrkit.Source(s) {
	case cxrkit.SourceVinDr:
		return "VinDr-CXR"
	case cxrkit.SourceNIH:
		return "NIH ChestX-ray14"
	case cxrkit.SourceChestXDet:
		return "ChestX-Det"
	}
	return s
}
