package synth

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/cxrkit/cxrkit/configs"
	"github.com/cxrkit/cxrkit/labelmap"
	"gopkg.in/yaml.v3"
)

// Minimum phrase-bank sizes: enough variety that a parser trained on the
// drafts learns the finding, not one sentence.
const (
	minPresent = 6
	minAbsent  = 4
	minNormal  = 6
)

// sizeStep gives a size word to boxes up to a fraction of the image area.
type sizeStep struct {
	upTo float64
	word string
}

// PhraseBank is a loaded configs/phrases.yaml.
type PhraseBank struct {
	sizes    map[labelmap.Label][]sizeStep
	present  map[labelmap.Label][]string
	absent   map[labelmap.Label][]string
	names    map[labelmap.Label]string
	combined []string
	normal   []string
}

var placeholderRE = regexp.MustCompile(`\{([a-z]+)\}`)

// DefaultPhraseFile is the name of the embedded phrase bank.
const DefaultPhraseFile = "phrases.yaml"

// LoadPhraseBank loads a phrase bank from path, or the embedded default when
// path is empty.
func LoadPhraseBank(path string) (*PhraseBank, error) {
	data, name, err := configs.ReadDefaultOr(DefaultPhraseFile, path)
	if err != nil {
		return nil, fmt.Errorf("phrases: %w", err)
	}
	return ParsePhraseBank(data, name)
}

type bankParser struct{ name string }

func (p bankParser) errorf(n *yaml.Node, format string, args ...any) error {
	line := 0
	if n != nil {
		line = n.Line
	}
	return fmt.Errorf("phrases %s:%d: %s", p.name, line, fmt.Sprintf(format, args...))
}

// ParsePhraseBank decodes and validates a phrase bank document.
func ParsePhraseBank(data []byte, name string) (*PhraseBank, error) {
	p := bankParser{name}
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&doc); err != nil {
		return nil, fmt.Errorf("phrases %s: %w", name, err)
	}
	if len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, p.errorf(&doc, "top level must be a mapping")
	}
	b := &PhraseBank{sizes: map[labelmap.Label][]sizeStep{}, present: map[labelmap.Label][]string{},
		absent: map[labelmap.Label][]string{}, names: map[labelmap.Label]string{}}
	root := doc.Content[0]
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if seen[k.Value] != nil {
			return nil, p.errorf(k, "duplicate key %q", k.Value)
		}
		seen[k.Value] = k
		var err error
		switch k.Value {
		case "sizes":
			err = p.sizes(v, b.sizes)
		case "present":
			err = p.labelLists(v, b.present, minPresent, map[string]bool{"size": true, "side": true, "zone": true})
		case "absent":
			err = p.labelLists(v, b.absent, minAbsent, nil)
		case "names":
			err = p.names(v, b.names)
		case "combined_absent":
			b.combined, err = p.strings(v, 1, map[string]bool{"a": true, "b": true, "c": true})
		case "normal":
			b.normal, err = p.strings(v, minNormal, nil)
		default:
			err = p.errorf(k, "unknown key %q (want sizes, present, absent, names, combined_absent, normal)", k.Value)
		}
		if err != nil {
			return nil, err
		}
	}
	for _, k := range []string{"sizes", "present", "absent", "names", "combined_absent", "normal"} {
		if seen[k] == nil {
			return nil, p.errorf(root, "missing key %q", k)
		}
	}
	for _, l := range labelmap.Positives() {
		switch {
		case len(b.present[l]) == 0:
			return nil, p.errorf(seen["present"], "present: no wordings for %s", l)
		case len(b.absent[l]) == 0:
			return nil, p.errorf(seen["absent"], "absent: no wordings for %s", l)
		case b.names[l] == "":
			return nil, p.errorf(seen["names"], "names: no short name for %s", l)
		case len(b.sizes[l]) == 0:
			return nil, p.errorf(seen["sizes"], "sizes: no steps for %s", l)
		}
		if !hasPlain(b.present[l]) {
			return nil, p.errorf(seen["present"], "present %s: every wording needs {side} or {zone}; add one that does not, for findings without a box", l)
		}
	}
	for _, c := range b.combined {
		if !strings.Contains(c, "{a}") || !strings.Contains(c, "{b}") {
			return nil, p.errorf(seen["combined_absent"], "combined wording %q needs {a} and {b}", c)
		}
	}
	return b, nil
}

func hasPlain(ws []string) bool {
	for _, w := range ws {
		if !strings.Contains(w, "{side}") && !strings.Contains(w, "{zone}") {
			return true
		}
	}
	return false
}

func (p bankParser) label(n *yaml.Node) (labelmap.Label, error) {
	l := labelmap.Label(n.Value)
	if !l.Positive() {
		return "", p.errorf(n, "%q is not a positive canonical label", n.Value)
	}
	return l, nil
}

func (p bankParser) strings(n *yaml.Node, minN int, allowed map[string]bool) ([]string, error) {
	if n.Kind != yaml.SequenceNode {
		return nil, p.errorf(n, "want a list of wordings")
	}
	var out []string
	for _, c := range n.Content {
		s := strings.TrimSpace(c.Value)
		if c.Kind != yaml.ScalarNode || s == "" {
			return nil, p.errorf(c, "want a non-empty wording")
		}
		for _, m := range placeholderRE.FindAllStringSubmatch(s, -1) {
			if !allowed[m[1]] {
				return nil, p.errorf(c, "wording %q: placeholder {%s} not allowed here", s, m[1])
			}
		}
		if strings.ContainsAny(strings.NewReplacer("{size}", "", "{side}", "", "{zone}", "", "{a}", "", "{b}", "", "{c}", "").Replace(s), "{}") {
			return nil, p.errorf(c, "wording %q: malformed placeholder", s)
		}
		out = append(out, s)
	}
	if len(out) < minN {
		return nil, p.errorf(n, "want at least %d wordings, got %d", minN, len(out))
	}
	return out, nil
}

func (p bankParser) labelLists(n *yaml.Node, into map[labelmap.Label][]string, minN int, allowed map[string]bool) error {
	if n.Kind != yaml.MappingNode {
		return p.errorf(n, "want a mapping label -> list of wordings")
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		l, err := p.label(n.Content[i])
		if err != nil {
			return err
		}
		if into[l] != nil {
			return p.errorf(n.Content[i], "duplicate label %s", l)
		}
		ws, err := p.strings(n.Content[i+1], minN, allowed)
		if err != nil {
			return err
		}
		into[l] = ws
	}
	return nil
}

func (p bankParser) names(n *yaml.Node, into map[labelmap.Label]string) error {
	if n.Kind != yaml.MappingNode {
		return p.errorf(n, "want a mapping label -> short name")
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		l, err := p.label(n.Content[i])
		if err != nil {
			return err
		}
		if v := n.Content[i+1]; v.Kind != yaml.ScalarNode || strings.TrimSpace(v.Value) == "" {
			return p.errorf(v, "want a short name for %s", l)
		}
		into[l] = strings.TrimSpace(n.Content[i+1].Value)
	}
	return nil
}

func (p bankParser) sizes(n *yaml.Node, into map[labelmap.Label][]sizeStep) error {
	if n.Kind != yaml.MappingNode {
		return p.errorf(n, "want a mapping label -> [[max_area, word], ...]")
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		l, err := p.label(n.Content[i])
		if err != nil {
			return err
		}
		list := n.Content[i+1]
		if list.Kind != yaml.SequenceNode || len(list.Content) == 0 {
			return p.errorf(list, "sizes of %s: want a non-empty list of [max_area, word]", l)
		}
		prev := 0.0
		for _, step := range list.Content {
			if step.Kind != yaml.SequenceNode || len(step.Content) != 2 {
				return p.errorf(step, "sizes of %s: want [max_area, word]", l)
			}
			v, err := strconv.ParseFloat(step.Content[0].Value, 64)
			if err != nil || v <= prev || v > 1 {
				return p.errorf(step, "sizes of %s: max_area %q must increase within (0,1]", l, step.Content[0].Value)
			}
			prev = v
			into[l] = append(into[l], sizeStep{v, strings.TrimSpace(step.Content[1].Value)})
		}
		if prev != 1 {
			return p.errorf(list, "sizes of %s: the last step must reach 1.0", l)
		}
	}
	return nil
}
