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

// boxDecimals is how many decimals a unit-scale target box keeps; a
// 0–1000 box is written in whole grid steps, the same precision.
const boxDecimals = 3

// groundingTarget is the assistant answer for an image as the profile
// writes it: compact JSON in canonical order, boxes in the profile's scale
// and order (unit: 3 decimals; 0–1000: integers), the explicit no_finding
// element for normal images, fenced when the profile fences answers.
func groundingTarget(fs []cxrkit.Finding, p *configs.Profile) string {
	scale := math.Pow(10, boxDecimals)
	if p.BoxScale == configs.BoxScale1000 {
		scale = 1
	}
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
				if p.BoxOrder == configs.BoxOrderXY {
					a = [4]float64{a[1], a[0], a[3], a[2]}
				}
				for i := range a {
					a[i] = math.Round(a[i]*p.BoxScaleMax()*scale) / scale
				}
				it.Box = &a
			}
			items = append(items, it)
		}
	}
	if len(items) == 0 {
		items = []item{{Label: labelmap.NoFinding}}
	}
	if p.AnswerFence {
		return "```json\n" + compactJSON(items) + "\n```"
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
	_ = enc.Encode(v) // targets are plain values; encoding to a buffer cannot fail
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
