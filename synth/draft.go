package synth

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"unicode"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/labelmap"
)

// statement is one sentence of a draft and what it says.
type statement struct {
	text     string // without the final period
	findings []cxrkit.DraftFinding
}

// where describes a finding's boxes in words.
type where struct {
	side, zone, size string
}

// locate derives side, zone and size from a label's boxes. A box centred on
// the image's left half is the patient's right.
func (b *PhraseBank) locate(l labelmap.Label, fs []cxrkit.Finding) where {
	var w where
	var left, right bool
	zones := map[string]bool{}
	largest := 0.0
	for _, f := range fs {
		if f.Label != l || f.Box == nil {
			continue
		}
		y, x := f.Box.Center()
		if x < 0.5 {
			right = true
		} else {
			left = true
		}
		zones[zoneOf(y)] = true
		largest = max(largest, f.Box.Area())
	}
	switch {
	case left && right:
		w.side = "bilateral"
	case left:
		w.side = "left"
	case right:
		w.side = "right"
	}
	if len(zones) == 1 {
		for z := range zones {
			w.zone = z
		}
	}
	if largest > 0 {
		w.size = b.sizeWord(l, largest)
	}
	return w
}

func zoneOf(y float64) string {
	switch {
	case y < 0.40:
		return "upper"
	case y < 0.60:
		return "mid"
	}
	return "lower"
}

func (b *PhraseBank) sizeWord(l labelmap.Label, area float64) string {
	for _, s := range b.sizes[l] {
		if area <= s.upTo {
			return s.word
		}
	}
	return ""
}

// invented describes a finding the image does not have: a plausible side,
// zone and size so the false claim reads like a real one.
func (b *PhraseBank) invented(l labelmap.Label, rng *rand.Rand) where {
	sides := []string{"left", "right"}
	zones := []string{"upper", "mid", "lower"}
	steps := b.sizes[l]
	return where{side: sides[rng.IntN(len(sides))], zone: zones[rng.IntN(len(zones))], size: steps[rng.IntN(len(steps))].word}
}

// presentStatement words a finding as present, using only wordings whose
// placeholders its location can fill.
func (b *PhraseBank) presentStatement(l labelmap.Label, w where, rng *rand.Rand) statement {
	var usable []string
	for _, t := range b.present[l] {
		if (strings.Contains(t, "{side}") && w.side == "") || (strings.Contains(t, "{zone}") && w.zone == "") {
			continue
		}
		usable = append(usable, t)
	}
	t := usable[rng.IntN(len(usable))]
	text := fill(t, map[string]string{"{side}": w.side, "{zone}": w.zone, "{size}": w.size})
	return statement{text: text, findings: []cxrkit.DraftFinding{{Label: l, Status: cxrkit.Present, Span: text}}}
}

// absentStatements words the given labels as absent: singly, or two or
// three at a time in a combined negation.
func (b *PhraseBank) absentStatements(ls []labelmap.Label, rng *rand.Rand) []statement {
	var out []statement
	for len(ls) > 0 {
		n := 1
		if len(ls) >= 2 && len(b.combined) > 0 && rng.IntN(5) < 2 {
			n = 2
			if len(ls) >= 3 && rng.IntN(2) == 0 {
				n = 3
			}
		}
		group := ls[:n]
		ls = ls[n:]
		var text string
		if n == 1 {
			text = fill(b.absent[group[0]][rng.IntN(len(b.absent[group[0]]))], nil)
		} else {
			text = b.combinedText(group, rng)
		}
		st := statement{text: text}
		for _, l := range group {
			st.findings = append(st.findings, cxrkit.DraftFinding{Label: l, Status: cxrkit.Absent, Span: text})
		}
		out = append(out, st)
	}
	return out
}

func (b *PhraseBank) combinedText(group []labelmap.Label, rng *rand.Rand) string {
	var fits []string
	for _, c := range b.combined {
		if strings.Contains(c, "{c}") == (len(group) == 3) {
			fits = append(fits, c)
		}
	}
	if len(fits) == 0 {
		// No wording for this many: join the names with commas and "or".
		names := make([]string, len(group))
		for i, l := range group {
			names[i] = b.names[l]
		}
		return fill("no "+strings.Join(names[:len(names)-1], ", ")+" or "+names[len(names)-1], nil)
	}
	vars := map[string]string{"{a}": b.names[group[0]], "{b}": b.names[group[1]]}
	if len(group) == 3 {
		vars["{c}"] = b.names[group[2]]
	}
	return fill(fits[rng.IntN(len(fits))], vars)
}

func (b *PhraseBank) normalStatement(rng *rand.Rand) statement {
	text := fill(b.normal[rng.IntN(len(b.normal))], nil)
	return statement{text: text, findings: []cxrkit.DraftFinding{{Label: labelmap.NoFinding, Status: cxrkit.Present, Span: text}}}
}

// fill substitutes placeholders, collapses the spaces an empty one leaves,
// and capitalizes the first letter.
func fill(t string, vars map[string]string) string {
	for k, v := range vars {
		t = strings.ReplaceAll(t, k, v)
	}
	t = strings.Join(strings.Fields(t), " ")
	t = strings.ReplaceAll(t, " ,", ",")
	r := []rune(t)
	if len(r) > 0 {
		r[0] = unicode.ToUpper(r[0])
	}
	return string(r)
}

// render joins statements into a draft, as plain sentences or, sometimes,
// a numbered impression list, and sets every span to its verbatim place.
func render(sts []statement, rng *rand.Rand) (string, []cxrkit.DraftFinding) {
	numbered := len(sts) >= 2 && rng.IntN(4) == 0
	var sb strings.Builder
	var findings []cxrkit.DraftFinding
	for i, st := range sts {
		if i > 0 {
			sb.WriteByte(' ')
		}
		if numbered {
			sb.WriteString(strconv.Itoa(i+1) + ". ")
		}
		sb.WriteString(st.text)
		sb.WriteByte('.')
		findings = append(findings, st.findings...)
	}
	return sb.String(), findings
}
