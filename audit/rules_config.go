package audit

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"

	"github.com/cxrkit/cxrkit/configs"
	"github.com/cxrkit/cxrkit/labelmap"
	"gopkg.in/yaml.v3"
)

// DefaultRulesFile is the embedded lexicon of the rule-based draft parser.
const DefaultRulesFile = "draft_rules.yaml"

// cueKind is what a cue does to the mentions in its scope.
type cueKind int

const (
	cueNegBefore cueKind = iota
	cueNegAfter
	cueUncBefore
	cueUncAfter
	cuePseudo
	cueTerminator
	numCueKinds
)

var cueKeys = [numCueKinds]string{"negation_before", "negation_after", "uncertain_before", "uncertain_after", "pseudo", "terminators"}

// mentionRule finds one label in text.
type mentionRule struct {
	label    labelmap.Label
	re       *regexp.Regexp
	notAfter []string
}

// lexicon is a compiled draft_rules.yaml.
type lexicon struct {
	mentions []mentionRule
	absent   []mentionRule
	normal   *regexp.Regexp
	cues     [numCueKinds]*regexp.Regexp
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
	Mentions map[string]struct {
		Match    []yaml.Node `yaml:"match"`
		NotAfter []string    `yaml:"not_after"`
	} `yaml:"mentions"`
	AbsentPhrases map[string][]yaml.Node `yaml:"absent_phrases"`
	NormalPhrases []yaml.Node            `yaml:"normal_phrases"`
	Cues          map[string][]yaml.Node `yaml:"cues"`
}

// wordRegexp compiles patterns into one case-insensitive, word-bounded
// alternation that prefers the longest match.
func wordRegexp(name string, nodes []yaml.Node) (*regexp.Regexp, error) {
	if len(nodes) == 0 {
		return nil, nil
	}
	parts := make([]string, len(nodes))
	for i, n := range nodes {
		if n.Kind != yaml.ScalarNode || strings.TrimSpace(n.Value) == "" {
			return nil, fmt.Errorf("%s:%d: want a non-empty pattern", name, n.Line)
		}
		if _, err := regexp.Compile(n.Value); err != nil {
			return nil, fmt.Errorf("%s:%d: pattern %q: %w", name, n.Line, n.Value, err)
		}
		parts[i] = "(?:" + n.Value + ")"
	}
	re := regexp.MustCompile(`(?i)\b(?:` + strings.Join(parts, "|") + `)\b`)
	re.Longest()
	return re, nil
}

func parseLexicon(data []byte, name string) (*lexicon, error) {
	var doc rulesDoc
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("draft rules %s: %w", name, err)
	}
	lx := &lexicon{}
	for _, l := range labelmap.Positives() {
		m, ok := doc.Mentions[string(l)]
		if !ok || len(m.Match) == 0 {
			return nil, fmt.Errorf("draft rules %s: mentions: no patterns for %s", name, l)
		}
		re, err := wordRegexp(name, m.Match)
		if err != nil {
			return nil, fmt.Errorf("draft rules %w", err)
		}
		lx.mentions = append(lx.mentions, mentionRule{label: l, re: re, notAfter: lowerAll(m.NotAfter)})
		if nodes, ok := doc.AbsentPhrases[string(l)]; ok {
			re, err := wordRegexp(name, nodes)
			if err != nil {
				return nil, fmt.Errorf("draft rules %w", err)
			}
			lx.absent = append(lx.absent, mentionRule{label: l, re: re})
		}
	}
	for k := range doc.Mentions {
		if !labelmap.Label(k).Positive() {
			return nil, fmt.Errorf("draft rules %s: mentions: %q is not a positive label", name, k)
		}
	}
	for k := range doc.AbsentPhrases {
		if !labelmap.Label(k).Positive() {
			return nil, fmt.Errorf("draft rules %s: absent_phrases: %q is not a positive label", name, k)
		}
	}
	var err error
	if lx.normal, err = wordRegexp(name, doc.NormalPhrases); err != nil {
		return nil, fmt.Errorf("draft rules %w", err)
	}
	for k := range doc.Cues {
		found := false
		for _, key := range cueKeys {
			found = found || k == key
		}
		if !found {
			return nil, fmt.Errorf("draft rules %s: cues: unknown group %q", name, k)
		}
	}
	for i, key := range cueKeys {
		if lx.cues[i], err = wordRegexp(name, doc.Cues[key]); err != nil {
			return nil, fmt.Errorf("draft rules %w", err)
		}
	}
	if lx.cues[cueNegBefore] == nil {
		return nil, fmt.Errorf("draft rules %s: cues: no negation_before cues", name)
	}
	return lx, nil
}

func lowerAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strings.ToLower(strings.TrimSpace(s))
	}
	return out
}
