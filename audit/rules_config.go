package audit

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/configs"
	"github.com/cxrkit/cxrkit/labelmap"
	"gopkg.in/yaml.v3"
)

// DefaultRulesFile is the embedded lexicon of the rule-based draft parser.
const DefaultRulesFile = "draft_rules.yaml"

// CueEffect is what a cue does to the mentions in its scope.
type CueEffect string

// The cue effects of configs/draft_rules.yaml.
const (
	EffectNegate      CueEffect = "negate"       // the finding is absent
	EffectHedge       CueEffect = "hedge"        // the finding is uncertain
	EffectNotAsserted CueEffect = "not_asserted" // a request, a question or history: no claim at all
	EffectNone        CueEffect = "none"         // consumes words that would otherwise cue (pseudo-negation)
	EffectBoundary    CueEffect = "boundary"     // ends every scope, starts a new clause
	EffectAlternative CueEffect = "alternative"  // marks a list of alternatives ("or") inside a scope
)

// Direction is which side of a cue its scope lies on.
type Direction string

// The directions of a cue's scope.
const (
	Before Direction = "before" // the cue comes before the mentions it governs ("no X")
	After  Direction = "after"  // the cue follows them ("X is not seen")
	Both   Direction = "both"   // the mention just before and those after ("A versus B")
)

// cueRule is one compiled cue group.
type cueRule struct {
	id, phenomenon string
	effect         CueEffect
	dir            Direction
	// keepsNegation: inside an open negation or request the cue only
	// qualifies ("no opacity to suggest pneumonia", "evaluate for a
	// possible nodule"); elsewhere it acts by its effect.
	keepsNegation bool
	// alternatives, when set, decides the mentions of this cue's scope
	// instead of it if the scope holds an alternative marker ("may
	// represent A or B": a differential list).
	alternatives *cueRule
	// marksAlternatives: the cue is an alternative marker inside a scope
	// that has alternatives.
	marksAlternatives bool
	// relative: a boundary that opens a relative clause ("which", "that");
	// an after-cue that has not yet reached a mention reaches through it
	// to the clause's antecedent.
	relative bool
}

// mentionRule is one compiled group of words naming findings.
type mentionRule struct {
	id, phenomenon string
	labels         []labelmap.Label // empty: words that look like a finding but are not one
	fixed          cxrkit.Status    // non-empty: the words say the status themselves
}

// lexicon is a compiled draft_rules.yaml.
type lexicon struct {
	vocab   vocabulary
	filler  []int32
	phrases trie
	// normalStarts holds the first words of normal-study phrases.
	normalStarts map[int32]bool
	forward      int // words a before-cue reaches
	backward     int // words an after-cue reaches back
}

// loadLexicon loads the rules from path, or the embedded default.
func loadLexicon(path string) (*lexicon, error) {
	data, name, err := configs.ReadDefaultOr(DefaultRulesFile, path)
	if err != nil {
		return nil, fmt.Errorf("draft rules: %w", err)
	}
	return parseLexicon(data, name)
}

type rulesDoc struct {
	Scope struct {
		ForwardWords  int `yaml:"forward_words"`
		BackwardWords int `yaml:"backward_words"`
	} `yaml:"scope"`
	Filler   []string `yaml:"filler"`
	Mentions []struct {
		ID         string      `yaml:"id"`
		Phenomenon string      `yaml:"phenomenon"`
		Labels     []string    `yaml:"labels"`
		Status     string      `yaml:"status"`
		Phrases    []yaml.Node `yaml:"phrases"`
	} `yaml:"mentions"`
	Cues []struct {
		ID            string      `yaml:"id"`
		Phenomenon    string      `yaml:"phenomenon"`
		Effect        CueEffect   `yaml:"effect"`
		Direction     Direction   `yaml:"direction"`
		KeepsNegation bool        `yaml:"keeps_negation"`
		Alternatives  string      `yaml:"alternatives"`
		Relative      bool        `yaml:"relative"`
		Phrases       []yaml.Node `yaml:"phrases"`
	} `yaml:"cues"`
	Normal []yaml.Node `yaml:"normal_phrases"`
}

// addPhrases expands each pattern node and marks its trie node with set.
// A phrase listed twice keeps its first meaning, so earlier rules win.
func addPhrases(lx *lexicon, name, id string, nodes []yaml.Node, set func(*trie)) error {
	if len(nodes) == 0 {
		return fmt.Errorf("draft rules %s: %s: no phrases", name, id)
	}
	for _, n := range nodes {
		if n.Kind != yaml.ScalarNode || strings.TrimSpace(n.Value) == "" {
			return fmt.Errorf("draft rules %s:%d: %s: want a non-empty phrase", name, n.Line, id)
		}
		seqs, err := expandPhrase(n.Value)
		if err != nil {
			return fmt.Errorf("draft rules %s:%d: %s: phrase %q: %w", name, n.Line, id, n.Value, err)
		}
		for _, s := range seqs {
			set(lx.phrases.node(lx.vocab, s))
		}
	}
	return nil
}

func parseLexicon(data []byte, name string) (*lexicon, error) {
	var doc rulesDoc
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		var old struct {
			Mentions map[string]any `yaml:"mentions"`
		}
		if yaml.Unmarshal(data, &old) == nil && len(old.Mentions) > 0 {
			return nil, fmt.Errorf("draft rules %s: this is the older format (mentions as a map of regexps); rewrite it as lists of phrase rules (docs/formats.md, configs/draft_rules.yaml): %w", name, err)
		}
		return nil, fmt.Errorf("draft rules %s: %w", name, err)
	}
	lx := &lexicon{vocab: vocabulary{}, normalStarts: map[int32]bool{}, forward: doc.Scope.ForwardWords, backward: doc.Scope.BackwardWords}
	if lx.forward <= 0 || lx.backward <= 0 {
		return nil, fmt.Errorf("draft rules %s: scope: forward_words and backward_words must be positive", name)
	}
	for _, f := range doc.Filler {
		lx.filler = append(lx.filler, lx.vocab.id(strings.ToLower(f)))
	}
	ids := map[string]bool{}
	checkID := func(id, phenomenon string) error {
		if id == "" || phenomenon == "" {
			return fmt.Errorf("draft rules %s: rule %q: every rule needs an id and the phenomenon it handles", name, id)
		}
		if ids[id] {
			return fmt.Errorf("draft rules %s: rule id %q used twice", name, id)
		}
		ids[id] = true
		return nil
	}
	covered := map[labelmap.Label]bool{}
	for _, m := range doc.Mentions {
		if err := checkID(m.ID, m.Phenomenon); err != nil {
			return nil, err
		}
		r := &mentionRule{id: m.ID, phenomenon: m.Phenomenon, fixed: cxrkit.Status(m.Status)}
		if r.fixed != "" && !r.fixed.Valid() {
			return nil, fmt.Errorf("draft rules %s: mention %s: status %q: want present, absent or uncertain", name, m.ID, m.Status)
		}
		for _, l := range m.Labels {
			if !labelmap.Label(l).Positive() {
				return nil, fmt.Errorf("draft rules %s: mention %s: %q is not a positive label", name, m.ID, l)
			}
			r.labels = append(r.labels, labelmap.Label(l))
			covered[labelmap.Label(l)] = covered[labelmap.Label(l)] || r.fixed == ""
		}
		if err := addPhrases(lx, name, m.ID, m.Phrases, func(n *trie) {
			if n.mention == nil {
				n.mention = r
			}
		}); err != nil {
			return nil, err
		}
	}
	cues := map[string]*cueRule{}
	var wantAlt [][2]string // cue id, the id of its alternatives rule
	for _, c := range doc.Cues {
		if err := checkID(c.ID, c.Phenomenon); err != nil {
			return nil, err
		}
		r := &cueRule{id: c.ID, phenomenon: c.Phenomenon, effect: c.Effect, dir: c.Direction, keepsNegation: c.KeepsNegation,
			marksAlternatives: c.Effect == EffectAlternative, relative: c.Relative}
		if r.relative && r.effect != EffectBoundary {
			return nil, fmt.Errorf("draft rules %s: cue %s: only a boundary can be relative", name, c.ID)
		}
		cues[c.ID] = r
		if c.Alternatives != "" {
			wantAlt = append(wantAlt, [2]string{c.ID, c.Alternatives})
		}
		switch r.effect {
		case EffectNegate, EffectHedge, EffectNotAsserted:
			if r.dir != Before && r.dir != After && r.dir != Both {
				return nil, fmt.Errorf("draft rules %s: cue %s: direction %q: want before, after or both", name, c.ID, c.Direction)
			}
		case EffectNone, EffectBoundary, EffectAlternative:
			if r.dir != "" {
				return nil, fmt.Errorf("draft rules %s: cue %s: a %s cue has no direction", name, c.ID, r.effect)
			}
		default:
			return nil, fmt.Errorf("draft rules %s: cue %s: effect %q: want negate, hedge, not_asserted, none, boundary or alternative", name, c.ID, c.Effect)
		}
		if err := addPhrases(lx, name, c.ID, c.Phrases, func(n *trie) {
			if n.cue == nil {
				n.cue = r
			}
		}); err != nil {
			return nil, err
		}
	}
	for _, w := range wantAlt {
		alt, ok := cues[w[1]]
		if !ok || alt.alternatives != nil {
			return nil, fmt.Errorf("draft rules %s: cue %s: alternatives %q: want the id of another cue without alternatives", name, w[0], w[1])
		}
		cues[w[0]].alternatives = alt
	}
	for _, c := range cues {
		if c.effect == EffectHedge && c.dir == Both && c.id != "" {
			// "versus" inside a differential scope also marks alternatives.
			c.marksAlternatives = true
		}
	}
	for _, l := range labelmap.Positives() {
		if !covered[l] {
			return nil, fmt.Errorf("draft rules %s: mentions: no phrases for %s", name, l)
		}
	}
	if len(doc.Normal) > 0 {
		for _, n := range doc.Normal {
			seqs, _ := expandPhrase(n.Value)
			for _, seq := range seqs {
				lx.normalStarts[lx.vocab.id(seq[0])] = true
			}
		}
		if err := addPhrases(lx, name, "normal_phrases", doc.Normal, func(n *trie) { n.normal = true }); err != nil {
			return nil, err
		}
	}
	return lx, nil
}
