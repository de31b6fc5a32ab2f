package audit

import (
	"cmp"
	"slices"
	"strings"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/labelmap"
)

// RulesParser is the deterministic, negation- and uncertainty-aware draft
// parser: it finds the six labels in a draft, decides for each mention
// whether a cue in its clause negates or hedges it, and reports one status
// per label with the verbatim clause that says it.
type RulesParser struct{ lx *lexicon }

// NewRulesParser loads the parser's lexicon from path, or the embedded
// configs/draft_rules.yaml when path is empty.
func NewRulesParser(path string) (*RulesParser, error) {
	lx, err := loadLexicon(path)
	if err != nil {
		return nil, err
	}
	return &RulesParser{lx: lx}, nil
}

type span struct{ start, end int }

type cue struct {
	span
	kind cueKind
}

type mention struct {
	span
	label  labelmap.Label
	status cxrkit.Status
	clause span
}

// Parse reads a draft. Each label appears at most once: present if any
// mention asserts it, else uncertain if any hedges it, else absent. A
// normal-study line gives no_finding, unless a positive is reported.
func (p *RulesParser) Parse(text string) []cxrkit.DraftFinding {
	lower := asciiLower(text)
	var ms []mention
	normal := span{-1, -1}
	for _, sent := range sentences(lower) {
		if normal.start < 0 && p.lx.normal != nil {
			if loc := p.lx.normal.FindStringIndex(lower[sent.start:sent.end]); loc != nil {
				normal = sent
			}
		}
		for _, cl := range p.clauses(lower, sent) {
			ms = append(ms, p.mentions(lower, cl)...)
		}
	}
	best := map[labelmap.Label]mention{}
	rank := map[cxrkit.Status]int{cxrkit.Absent: 1, cxrkit.Uncertain: 2, cxrkit.Present: 3}
	for _, m := range ms {
		if b, ok := best[m.label]; !ok || rank[m.status] > rank[b.status] {
			best[m.label] = m
		}
	}
	var out []cxrkit.DraftFinding
	positive := false
	for _, l := range labelmap.Positives() {
		m, ok := best[l]
		if !ok {
			continue
		}
		positive = positive || m.status != cxrkit.Absent
		out = append(out, cxrkit.DraftFinding{Label: l, Status: m.status, Span: clauseText(text, m.clause)})
	}
	if !positive && normal.start >= 0 {
		out = append(out, cxrkit.DraftFinding{Label: labelmap.NoFinding, Status: cxrkit.Present, Span: clauseText(text, normal)})
	}
	return out
}

// asciiLower lowercases ASCII letters only, so byte offsets into the
// result are offsets into the original text.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// sentences splits at ". ", "? ", "! " (a period inside "1.5" does not end
// a sentence) and at line breaks.
func sentences(s string) []span {
	var out []span
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		end := false
		switch c {
		case '\n', '\r':
			end = true
		case '.', '?', '!':
			end = i+1 == len(s) || s[i+1] == ' ' || s[i+1] == '\n' || s[i+1] == '\r' || s[i+1] == '\t'
		}
		if end {
			if strings.TrimSpace(s[start:i]) != "" {
				out = append(out, span{start, i})
			}
			start = i + 1
		}
	}
	if strings.TrimSpace(s[start:]) != "" {
		out = append(out, span{start, len(s)})
	}
	return out
}

// clauses splits a sentence at ";" and ":" and before each terminator.
func (p *RulesParser) clauses(s string, sent span) []span {
	cuts := []int{sent.start}
	for i := sent.start; i < sent.end; i++ {
		if s[i] == ';' || s[i] == ':' {
			cuts = append(cuts, i+1)
		}
	}
	if re := p.lx.cues[cueTerminator]; re != nil {
		for _, loc := range re.FindAllStringIndex(s[sent.start:sent.end], -1) {
			cuts = append(cuts, sent.start+loc[0])
		}
	}
	slices.Sort(cuts)
	cuts = slices.Compact(cuts)
	var out []span
	for i, c := range cuts {
		e := sent.end
		if i+1 < len(cuts) {
			e = cuts[i+1]
		}
		if strings.TrimSpace(s[c:e]) != "" {
			out = append(out, span{c, e})
		}
	}
	return out
}

// cuesIn finds the cues of a clause. Overlapping cues resolve to the
// longest; pseudo-negations ("no change") are found but never negate.
func (p *RulesParser) cuesIn(s string, cl span) []cue {
	var all []cue
	for k := cueKind(0); k < numCueKinds; k++ {
		re := p.lx.cues[k]
		if re == nil || k == cueTerminator {
			continue
		}
		for _, loc := range re.FindAllStringIndex(s[cl.start:cl.end], -1) {
			all = append(all, cue{span{cl.start + loc[0], cl.start + loc[1]}, k})
		}
	}
	slices.SortFunc(all, func(a, b cue) int {
		return cmp.Or(cmp.Compare(a.start, b.start), cmp.Compare(b.end-b.start, a.end-a.start), cmp.Compare(b.kind, a.kind))
	})
	var out []cue
	for _, c := range all {
		overlaps := false
		for i, o := range out {
			if c.start < o.end && o.start < c.end {
				overlaps = true
				if c.end-c.start > o.end-o.start {
					out[i] = c
				}
				break
			}
		}
		if !overlaps {
			out = append(out, c)
		}
	}
	return out
}

func (p *RulesParser) mentions(s string, cl span) []mention {
	text := s[cl.start:cl.end]
	var found []mention
	for _, r := range p.lx.mentions {
		for _, loc := range r.re.FindAllStringIndex(text, -1) {
			if precededBy(text[:loc[0]], r.notAfter) {
				continue
			}
			found = append(found, mention{span: span{cl.start + loc[0], cl.start + loc[1]}, label: r.label, clause: cl})
		}
	}
	var absent []mention
	for _, r := range p.lx.absent {
		for _, loc := range r.re.FindAllStringIndex(text, -1) {
			absent = append(absent, mention{span: span{cl.start + loc[0], cl.start + loc[1]}, label: r.label, status: cxrkit.Absent, clause: cl})
		}
	}
	if len(found) == 0 {
		return absent
	}
	cues := p.cuesIn(s, cl)
	for i := range found {
		found[i].status = statusOf(found[i].span, cues)
	}
	return append(found, absent...)
}

// statusOf decides one mention: the nearest negation or hedge cue before
// it in the clause wins; failing that, the nearest one after it.
func statusOf(m span, cues []cue) cxrkit.Status {
	for i := len(cues) - 1; i >= 0; i-- {
		c := cues[i]
		if c.end > m.start {
			continue
		}
		switch c.kind {
		case cueNegBefore:
			return cxrkit.Absent
		case cueUncBefore:
			return cxrkit.Uncertain
		}
	}
	for _, c := range cues {
		if c.start < m.end {
			continue
		}
		switch c.kind {
		case cueNegAfter:
			return cxrkit.Absent
		case cueUncAfter:
			return cxrkit.Uncertain
		}
	}
	return cxrkit.Present
}

// precededBy reports whether text ends with one of the words (as whole
// words).
func precededBy(text string, words []string) bool {
	t := strings.TrimRight(text, " \t-")
	for _, w := range words {
		if strings.HasSuffix(t, w) && (len(t) == len(w) || !isWordByte(t[len(t)-len(w)-1])) {
			return true
		}
	}
	return false
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// clauseText is the verbatim clause, trimmed of spaces and end punctuation.
func clauseText(text string, cl span) string {
	return strings.Trim(text[cl.start:cl.end], " \t\r\n.,;:")
}
