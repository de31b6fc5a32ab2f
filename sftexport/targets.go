package sftexport

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/configs"
	"github.com/cxrkit/cxrkit/labelmap"
)

// groundingTarget is the assistant answer for an image: compact JSON in
// canonical order, boxes rounded to 3 decimals, and the explicit no_finding
// element for normal images.
func groundingTarget(fs []cxrkit.Finding) string {
	type item struct {
		Label labelmap.Label `json:"label"`
		Box   *[4]float64    `json:"box_2d"`
	}
	var items []item
	for _, l := range labelmap.Positives() {
		for _, f := range fs {
			if f.Label != l {
				continue
			}
			it := item{Label: l}
			if f.Box != nil {
				a := f.Box.Array()
				for i := range a {
					a[i] = math.Round(a[i]*1000) / 1000
				}
				it.Box = &a
			}
			items = append(items, it)
		}
	}
	if len(items) == 0 {
		items = []item{{Label: labelmap.NoFinding}}
	}
	return compactJSON(items)
}

// draftTarget is the assistant answer for a draft: [{label,status,span}]
// in canonical label order.
func draftTarget(ds []cxrkit.DraftFinding) string {
	out := make([]cxrkit.DraftFinding, 0, len(ds))
	for _, l := range labelmap.All() {
		for _, d := range ds {
			if d.Label == l {
				out = append(out, d)
			}
		}
	}
	return compactJSON(out)
}

func compactJSON(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
	return strings.TrimSpace(b.String())
}

// messages builds the user turn (an image part when there is an image,
// then the prompt) and the assistant turn with the target.
func messages(prompt, target string, withImage bool) []message {
	var user []contentPart
	if withImage {
		user = append(user, contentPart{Type: str("image")})
	}
	user = append(user, contentPart{Type: str("text"), Text: str(prompt)})
	return []message{
		{Role: str("user"), Content: user},
		{Role: str("assistant"), Content: []contentPart{{Type: str("text"), Text: str(target)}}},
	}
}

// draftPrompt fills the draft template.
func draftPrompt(p configs.Prompt, draft string) string {
	return strings.ReplaceAll(p.Text, configs.DraftPlaceholder, draft)
}
