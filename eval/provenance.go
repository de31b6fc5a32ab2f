package eval

import (
	"fmt"
	"html"
	"strings"
	"time"

	"github.com/cxrkit/cxrkit"
)

// Every report carries a *cxrkit.Provenance (filled by whoever runs the
// evaluation: the cli from its flags, the pipeline from its config); the
// renderings below end each Markdown and HTML report with it, so a figure
// copied from any of the three formats can be traced to its inputs.

// markdownProvenance writes the provenance section of a Markdown report.
func markdownProvenance(b *strings.Builder, p *cxrkit.Provenance) {
	b.WriteString("\n## Provenance\n\n")
	if p == nil {
		b.WriteString("Not recorded.\n")
		return
	}
	fmt.Fprintf(b, "- cxrkit version: %s\n- command: `%s`\n- splits: %s\n- seed: %d\n- date: %s\n\n",
		p.Version, strings.ReplaceAll(p.CommandLine(), "`", "'"), p.SplitsText(), p.Seed, p.Date.Format(time.RFC3339))
	b.WriteString("| Input | File | Rows | Bytes | sha256 |\n|---|---|---:|---:|---|\n")
	for _, in := range p.Inputs {
		fmt.Fprintf(b, "| %s | `%s` | %s | %d | `%s` |\n", in.Flag, strings.ReplaceAll(in.Path, "|", `\|`), in.RowsText(), in.Bytes, in.SHA256)
	}
}

// htmlProvenance writes the provenance section of an HTML report.
func htmlProvenance(b *strings.Builder, p *cxrkit.Provenance) {
	b.WriteString("<h2>Provenance</h2>\n")
	if p == nil {
		b.WriteString("<p>Not recorded.</p>\n")
		return
	}
	fmt.Fprintf(b, "<table><tr><td>cxrkit version</td><td>%s</td></tr><tr><td>command</td><td><code>%s</code></td></tr>"+
		"<tr><td>splits</td><td>%s</td></tr><tr><td>seed</td><td>%d</td></tr><tr><td>date</td><td>%s</td></tr></table>\n",
		html.EscapeString(p.Version), html.EscapeString(p.CommandLine()), html.EscapeString(p.SplitsText()), p.Seed, p.Date.Format(time.RFC3339))
	b.WriteString("<table><tr><th>Input</th><th>File</th><th>Rows</th><th>Bytes</th><th>sha256</th></tr>\n")
	for _, in := range p.Inputs {
		fmt.Fprintf(b, "<tr><td>%s</td><td><code>%s</code></td><td>%s</td><td>%d</td><td><code>%s</code></td></tr>\n",
			html.EscapeString(in.Flag), html.EscapeString(in.Path), html.EscapeString(in.RowsText()), in.Bytes, in.SHA256)
	}
	b.WriteString("</table>\n")
}
