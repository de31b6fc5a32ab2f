package eval

import (
	"fmt"
	"html"
	"strings"

	"github.com/cxrkit/cxrkit"
)

// DefaultWarnFailedShare is the share of failed predictions above which a
// report carries a warning: its scores then mostly measure failures.
const DefaultWarnFailedShare = 0.05

// Failures counts the items (images or cases) a report could not score
// from a prediction, in the same words for every report kind:
//
//   - no prediction: the results file has nothing for the item;
//   - error: the prediction carries an error (endpoint, image, timeout);
//   - unreadable answer: the model answered, but its answer could not be
//     parsed.
//
// Each failed item counts as a wrong prediction of nothing; none is
// skipped.
type Failures struct {
	Items        int      `json:"items"`
	Failed       int      `json:"failed"`
	NoPrediction int      `json:"no_prediction"`
	Error        int      `json:"error"`
	Unreadable   int      `json:"unreadable_answer"`
	Share        *float64 `json:"share"`
	// WarnAbove is the share above which Warn is set.
	WarnAbove float64 `json:"warn_above"`
	Warn      bool    `json:"warn"`
}

// groundingFailure returns the failure kind of an image-mode prediction,
// or "" when its grounding is usable. A missing prediction is p == nil.
func groundingFailure(p *cxrkit.Result) string {
	switch {
	case p == nil:
		return "no prediction"
	case p.Parse.Grounding == cxrkit.ParseFailed && p.RawGrounding != "":
		return "unreadable answer"
	case p.Error != nil || p.Parse.Grounding == cxrkit.ParseFailed:
		return "error"
	}
	return ""
}

// auditFailure returns the failure kind of an audit result, or "" when it
// has a verdict.
func auditFailure(p *cxrkit.Result) string {
	switch {
	case p == nil:
		return "no prediction"
	case p.Parse.Grounding == cxrkit.ParseFailed && p.RawGrounding != "",
		p.Parse.Draft == cxrkit.ParseFailed && p.RawDraft != "":
		return "unreadable answer"
	case p.Error != nil || p.Audit == nil:
		return "error"
	}
	return ""
}

// add counts one item with its failure kind ("" for none).
func (f *Failures) add(kind string) {
	f.Items++
	switch kind {
	case "":
		return
	case "no prediction":
		f.NoPrediction++
	case "unreadable answer":
		f.Unreadable++
	default:
		f.Error++
	}
	f.Failed++
}

// SetWarnAbove sets the warning threshold and recomputes the share and
// the warning.
func (f *Failures) SetWarnAbove(share float64) {
	f.WarnAbove = share
	f.Share = ratio(f.Failed, f.Items)
	f.Warn = f.Share != nil && *f.Share > share
}

// Summary is the one-line account every report kind prints, noun being
// "images" or "cases".
func (f Failures) Summary(noun string) string {
	s := fmt.Sprintf("failed predictions: %d of %d %s", f.Failed, f.Items, noun)
	if f.Share != nil {
		s += fmt.Sprintf(" (%.1f%%)", 100**f.Share)
	}
	if f.Failed > 0 {
		s += fmt.Sprintf(": %d no prediction, %d error, %d unreadable answer", f.NoPrediction, f.Error, f.Unreadable)
	}
	return s
}

// warningText is the banner of a report whose failures exceed the share.
func (f Failures) warningText(noun string) string {
	if !f.Warn {
		return ""
	}
	return fmt.Sprintf("Warning: %.1f%% of the %s have no usable prediction (more than %.0f%%). Each counts as predicting nothing, so the scores below mostly measure the failures. Check the endpoint and the raw answers first.",
		100**f.Share, noun, 100*f.WarnAbove)
}

func (f Failures) htmlBanner(b *strings.Builder, noun string) {
	if t := f.warningText(noun); t != "" {
		fmt.Fprintf(b, "<div class=\"warn\" role=\"alert\">%s</div>\n", html.EscapeString(t))
	}
}

func (f Failures) markdownBanner(b *strings.Builder, noun string) {
	if t := f.warningText(noun); t != "" {
		fmt.Fprintf(b, "> **%s**\n\n", t)
	}
}
