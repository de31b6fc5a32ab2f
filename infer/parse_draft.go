package infer

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/labelmap"
)

// DraftParse is a draft-parsing model's answer, parsed.
type DraftParse struct {
	Findings []cxrkit.DraftFinding
	Status   cxrkit.ParseStatus
	Notes    []string
}

// ParseDraft reads a draft-parsing model's answer ([{label, status, span}])
// tolerantly. Spans are checked against the draft: a span that is not
// verbatim is located case-insensitively, else dropped. One finding per
// label is kept (present over uncertain over absent).
func ParseDraft(text, draft string, vocab *labelmap.Vocabulary) DraftParse {
	ex := extractJSON(text)
	if !ex.found {
		return DraftParse{Status: cxrkit.ParseFailed, Notes: []string{"no JSON array of draft findings in the answer"}}
	}
	p := DraftParse{Status: cxrkit.ParseOK}
	note := func(format string, args ...any) {
		p.Status = cxrkit.ParseSalvaged
		p.Notes = append(p.Notes, fmt.Sprintf(format, args...))
	}
	if !ex.complete {
		note("answer was broken or truncated; kept %d complete elements", len(ex.elements))
	}
	best := map[labelmap.Label]cxrkit.DraftFinding{}
	rank := map[cxrkit.Status]int{cxrkit.Absent: 1, cxrkit.Uncertain: 2, cxrkit.Present: 3}
	for i, raw := range ex.elements {
		if i >= maxElements {
			note("more than %d elements; kept the first %d", maxElements, maxElements)
			break
		}
		var obj map[string]json.RawMessage
		if json.Unmarshal(raw, &obj) != nil {
			note("skipped an element that is not an object")
			continue
		}
		name := stringField(obj, labelKeys[:])
		label, ok := vocab.Normalize(name)
		if !ok {
			note("dropped unknown label %q", name)
			continue
		}
		status, ok := normalizeStatus(stringField(obj, statusKeys[:]))
		if !ok {
			note("%s: unknown status %q; dropped", label, stringField(obj, statusKeys[:]))
			continue
		}
		span := verbatimSpan(stringField(obj, spanKeys[:]), draft)
		if span == "" && stringField(obj, spanKeys[:]) != "" {
			note("%s: span not found in the draft; dropped the span", label)
		}
		d := cxrkit.DraftFinding{Label: label, Status: status, Span: span}
		if b, ok := best[label]; !ok || rank[status] > rank[b.Status] {
			best[label] = d
		}
	}
	positive := false
	for _, l := range labelmap.Positives() {
		if d, ok := best[l]; ok {
			p.Findings = append(p.Findings, d)
			positive = positive || d.Status != cxrkit.Absent
		}
	}
	if d, ok := best[labelmap.NoFinding]; ok && !positive {
		d.Status = cxrkit.Present
		p.Findings = append(p.Findings, d)
	}
	if len(ex.elements) > 0 && len(best) == 0 {
		return DraftParse{Status: cxrkit.ParseFailed, Notes: append(p.Notes, "no usable element in the answer")}
	}
	return p
}

func normalizeStatus(s string) (cxrkit.Status, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "present", "positive", "yes", "true", "asserted", "affirmed", "1":
		return cxrkit.Present, true
	case "absent", "negative", "no", "false", "negated", "denied", "0":
		return cxrkit.Absent, true
	case "uncertain", "possible", "probable", "hedged", "equivocal", "maybe", "-1":
		return cxrkit.Uncertain, true
	case "":
		return cxrkit.Present, true
	}
	return "", false
}

// verbatimSpan returns span as it appears in draft: exactly, or located
// case- and space-insensitively; "" when the draft does not contain it.
func verbatimSpan(span, draft string) string {
	span = strings.TrimSpace(span)
	if span == "" || strings.Contains(draft, span) {
		return span
	}
	ld, ls := asciiLowerString(draft), asciiLowerString(span)
	if i := strings.Index(ld, ls); i >= 0 {
		return draft[i : i+len(span)]
	}
	return ""
}

func asciiLowerString(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
