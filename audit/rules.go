package audit

import (
	"context"
	"strings"
	"sync"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/labelmap"
)

// RulesParser is the deterministic draft parser. It reads a draft once,
// word by word: phrases from configs/draft_rules.yaml name findings
// (mentions) or change what a finding's mention claims (cues: negation,
// hedging, requests, history). A cue governs the mentions within its
// scope: the words after it (or before it) up to a clause boundary, a
// competing cue or a word limit. Each label is reported once, with the
// clause that says it and the id of the rule that decided it.
type RulesParser struct {
	lx *lexicon
	// bufs recycles per-draft buffers between calls (safe for concurrent
	// use), so parsing many drafts allocates little.
	bufs sync.Pool
}

// NewRulesParser loads the parser's lexicon from path, or the embedded
// configs/draft_rules.yaml when path is empty.
func NewRulesParser(path string) (*RulesParser, error) {
	lx, err := loadLexicon(path)
	if err != nil {
		return nil, err
	}
	p := &RulesParser{lx: lx}
	p.bufs.New = func() any { return new(sentenceBuffers) }
	return p, nil
}

// Decision is one label of a draft and the rule that decided it: a cue's
// id, or the mention rule's id when no cue reached the mention. An empty
// Status means the label was named but not claimed (a request such as
// "to rule out pneumothorax", or history); Parse leaves such labels out.
type Decision struct {
	Label  labelmap.Label `json:"label"`
	Status cxrkit.Status  `json:"status,omitempty"`
	Span   string         `json:"span"`
	Rule   string         `json:"rule"`
}

// NormalRule is the rule id of a no_finding decision.
const NormalRule = "normal_phrases"

// Parse reads a draft. Each label appears at most once: present if any
// mention asserts it, else uncertain if any hedges it, else absent. A
// normal-study phrase gives no_finding, unless a positive is reported.
func (p *RulesParser) Parse(text string) []cxrkit.DraftFinding {
	fs, _ := p.ParseContext(context.Background(), text)
	return fs
}

// checkEvery is how many bytes (scanning) or tokens (matching phrases)
// pass between looks at the context within one sentence: a look costs a
// few nanoseconds, a few thousand bytes of parsing some microseconds.
const checkEvery = 4096

// stopper is what the scanner and matcher look at between chunks of
// work: a context.Context, asked through Err (the one method a test's
// context can count, unlike a receive from Done).
type stopper interface{ Err() error }

// stopped reports whether ctx is done; a nil ctx never is.
func stopped(ctx stopper) bool { return ctx != nil && ctx.Err() != nil }

type span struct{ start, end int }

// item is a cue, a mention or a clause break (";" ":") of one sentence.
type item struct {
	tok          span // token indexes
	word0, word1 int  // index of the first word, and one past the last
	cue          *cueRule
	mention      *mentionRule
}

// reading is what one mention claims.
type reading struct {
	rule   *mentionRule
	clause span // bytes
	by     *cueRule
	status cxrkit.Status // "" when not asserted
}

// statusRank orders what a mention can say: present beats uncertain beats
// absent beats named-but-not-claimed.
func statusRank(s cxrkit.Status) int {
	switch s {
	case cxrkit.Present:
		return 3
	case cxrkit.Uncertain:
		return 2
	case cxrkit.Absent:
		return 1
	}
	return 0
}

// ParseContext is Parse under ctx: it stops soon after ctx is done (a
// request's deadline) and returns ctx's error, so an abandoned draft does
// not keep a core busy.
func (p *RulesParser) ParseContext(ctx context.Context, text string) ([]cxrkit.DraftFinding, error) {
	ds, err := p.ExplainContext(ctx, text)
	if err != nil {
		return nil, err
	}
	var out []cxrkit.DraftFinding
	for _, d := range ds {
		if d.Status != "" {
			out = append(out, cxrkit.DraftFinding{Label: d.Label, Status: d.Status, Span: d.Span})
		}
	}
	return out, nil
}

// Explain reads a draft like Parse and says which rule decided each label.
func (p *RulesParser) Explain(text string) []Decision {
	ds, _ := p.ExplainContext(context.Background(), text)
	return ds
}

// ExplainContext is Explain under ctx. ctx is looked at between
// sentences and, within a long sentence, every few thousand bytes and
// tokens: a draft with no sentence end stops as promptly as one with many.
func (p *RulesParser) ExplainContext(ctx context.Context, text string) ([]Decision, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	lower := asciiLower(text, ctx)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	buf := p.bufs.Get().(*sentenceBuffers)
	defer p.bufs.Put(buf)
	sc := sentenceScanner{s: lower, vocab: p.lx.vocab, filler: p.lx.filler, toks: buf.toks[:0], ctx: ctx}
	defer func() { buf.toks = sc.toks[:0] }()
	var best [labelmap.NumLabels]*Decision // by label index; the five positives
	normal := span{-1, -1}
	for {
		sent, bytes, ok := sc.next()
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		var isNormal bool
		buf.items, isNormal = p.items(sent, lower, buf.items[:0], ctx)
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if normal.start < 0 && isNormal {
			normal = bytes
		}
		for _, r := range p.readSentence(sent, buf, bytes) {
			status := r.status
			rule := r.rule.id
			if r.by != nil {
				rule = r.by.id
			}
			for _, l := range r.rule.labels {
				b := best[l.Index()]
				if b == nil || statusRank(status) > statusRank(b.Status) {
					best[l.Index()] = &Decision{Label: l, Status: status, Span: clauseText(text, r.clause), Rule: rule}
				}
			}
		}
	}
	var out []Decision
	positive := false
	for _, l := range labelmap.Positives() {
		if b := best[l.Index()]; b != nil {
			positive = positive || b.Status == cxrkit.Present || b.Status == cxrkit.Uncertain
			out = append(out, *b)
		}
	}
	if !positive && normal.start >= 0 {
		out = append(out, Decision{Label: labelmap.NoFinding, Status: cxrkit.Present, Span: clauseText(text, normal), Rule: NormalRule})
	}
	return out, nil
}

// items finds the cues, mentions and clause breaks of a sentence, longest
// phrase first (a mention wins a tie with a cue), and whether a
// normal-study phrase occurs in it. It stops early, with what it found so
// far, once ctx is done.
func (p *RulesParser) items(toks []token, s string, out []item, ctx stopper) ([]item, bool) {
	words := 0
	normal := false
	nextCheck := checkEvery
	for i := 0; i < len(toks); {
		if i >= nextCheck {
			if stopped(ctx) {
				return out, normal
			}
			nextCheck = i + checkEvery
		}
		m := p.lx.phrases.longest(toks, i)
		if m.mention == nil && m.cue == nil && toks[i].kind == tokPunct && (s[toks[i].start] == ';' || s[toks[i].start] == ':') {
			// A clause break, unless a phrase starts with it ("effusion: none").
			out = append(out, item{tok: span{i, i + 1}, word0: words, word1: words})
			i++
			continue
		}
		normal = normal || m.normal
		n := 1
		switch {
		case m.mention != nil && m.mLen >= m.cLen:
			n = m.mLen
			out = append(out, item{tok: span{i, i + n}, word0: words, mention: m.mention})
		case m.cue != nil:
			n = m.cLen
			out = append(out, item{tok: span{i, i + n}, word0: words, cue: m.cue})
		}
		for _, t := range toks[i : i+n] {
			if t.kind == tokWord {
				words++
			}
		}
		if m.mention != nil || m.cue != nil {
			out[len(out)-1].word1 = words
		}
		if !normal {
			// A normal phrase may start inside a longer match.
			for k := i + 1; k < i+n; k++ {
				normal = normal || p.lx.normalStarts[toks[k].id] && p.lx.phrases.longest(toks, k).normal
			}
		}
		i += n
	}
	return out, normal
}

// denies reports whether an open scope negates or withholds a claim; inside
// it, qualifying cues ("suspicious", "to suggest") only qualify.
func (c *cueRule) denies() bool {
	return c != nil && (c.effect == EffectNegate || c.effect == EffectNotAsserted)
}

// breaks reports whether an item ends every scope and starts a clause.
func (it item) breaks() bool {
	return it.cue == nil && it.mention == nil || it.cue != nil && it.cue.effect == EffectBoundary
}

// sentenceBuffers are reused from sentence to sentence of one draft.
type sentenceBuffers struct {
	toks         []token
	items        []item
	pre, post    []*cueRule
	scopeOf      []int
	differential []bool
	out          []reading
}

// readSentence decides every mention of one sentence (its items in buf).
func (p *RulesParser) readSentence(toks []token, buf *sentenceBuffers, sent span) []reading {
	items := buf.items
	if len(items) == 0 {
		return nil
	}
	buf.pre, buf.post = resized(buf.pre, len(items)), resized(buf.post, len(items))
	pre, post := buf.pre, buf.post
	// Before-cues reach forward: "no A, B or C" covers all three until a
	// boundary, a clause break, a pseudo-cue or another cue takes over.
	var open *cueRule
	openEnd := 0
	// Scopes are numbered so that a differential list found late in a
	// scope ("may represent A, B or C") can decide its earlier mentions.
	scope := 0
	scopeOf := buf.scopeOf[:0]
	differential := append(buf.differential[:0], false) // by scope: it holds alternatives
	for k, it := range items {
		scopeOf = append(scopeOf, 0)
		if it.cue != nil && it.cue.marksAlternatives && open != nil && open.alternatives != nil {
			differential[scope] = true
			if it.cue.effect == EffectAlternative || it.cue.dir == Both {
				continue
			}
		}
		switch {
		case it.cue != nil && it.cue.effect == EffectAlternative:
		case it.breaks():
			open = nil
		case it.cue != nil && it.cue.effect == EffectNone:
			if !it.cue.keepsNegation || !open.denies() {
				open = nil
			}
		case it.cue != nil && (it.cue.dir == Before || it.cue.dir == Both):
			if it.cue.keepsNegation && open.denies() {
				openEnd = it.word1
				continue
			}
			open, openEnd = it.cue, it.word1
			scope++
			differential = append(differential, false)
		case it.mention != nil && open != nil:
			if it.word0-openEnd <= p.lx.forward {
				pre[k] = open
				scopeOf[k] = scope
				// A list carries the scope on: the reach counts from
				// the last mention it covered ("no A, B, ... or Z").
				openEnd = it.word1
			}
		}
	}
	for k := range items {
		if differential[scopeOf[k]] && pre[k] != nil && pre[k].alternatives != nil {
			pre[k] = pre[k].alternatives
		}
	}
	buf.scopeOf, buf.differential = scopeOf, differential
	// After-cues reach back: "A and B are not seen". "versus" reaches only
	// the mention right before it.
	open = nil
	openStart := 0
	named := false // the open after-cue has passed a mention
	for k := len(items) - 1; k >= 0; k-- {
		it := items[k]
		switch {
		case it.cue != nil && it.cue.effect == EffectAlternative:
		case it.cue != nil && it.cue.relative && open != nil && !named:
			// "The effusion that was seen before has resolved": with no
			// finding named in between, the relative clause describes
			// the subject, and the predicate reaches back through it.
		case it.breaks() || it.cue != nil && it.cue.effect == EffectNone:
			open = nil
		case it.cue != nil && (it.cue.dir == After || it.cue.dir == Both):
			open, openStart, named = it.cue, it.word0, false
		case it.mention != nil && open != nil:
			named = true
			reach := p.lx.backward
			if open.dir == Both {
				reach = 3
			}
			// A qualifying hedge before the mention yields to a negation
			// after it: "suspicious nodules are not seen".
			free := pre[k] == nil || pre[k].keepsNegation && open.effect == EffectNegate
			if free && openStart-it.word1 <= reach {
				post[k] = open
			}
			if open.dir == Both {
				open = nil
			}
		}
	}
	// Clauses, for spans: a sentence cut at clause breaks and boundaries.
	out := buf.out[:0]
	clauseStart := sent.start
	clauseEndAt := 0 // the next break after the current item; moves forward only
	for k, it := range items {
		if it.breaks() {
			clauseStart = toks[it.tok.start].start
			if it.cue == nil {
				clauseStart = toks[it.tok.start].end
			}
			continue
		}
		if it.mention == nil || len(it.mention.labels) == 0 {
			continue
		}
		for clauseEndAt < len(items) && (clauseEndAt <= k || !items[clauseEndAt].breaks()) {
			clauseEndAt++
		}
		clauseEnd := sent.end
		if clauseEndAt < len(items) {
			clauseEnd = toks[items[clauseEndAt].tok.start].start
		}
		r := reading{rule: it.mention, clause: span{clauseStart, clauseEnd}, status: cxrkit.Present}
		by := pre[k]
		if post[k] != nil {
			by = post[k]
		}
		switch {
		case it.mention.fixed != "":
			r.status = it.mention.fixed
		case by != nil:
			r.by = by
			switch by.effect {
			case EffectNegate:
				r.status = cxrkit.Absent
			case EffectHedge:
				r.status = cxrkit.Uncertain
			case EffectNotAsserted:
				r.status = ""
			}
		}
		out = append(out, r)
	}
	buf.out = out
	return out
}

// clauseText is the verbatim clause, trimmed of spaces and end punctuation.
func clauseText(text string, cl span) string {
	return strings.Trim(text[cl.start:cl.end], " \t\r\n.,;:")
}

// resized returns s with n zero elements, reusing its storage if it can.
func resized(s []*cueRule, n int) []*cueRule {
	if cap(s) < n {
		return make([]*cueRule, n)
	}
	s = s[:n]
	clear(s)
	return s
}
