package labelmap

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/cxrkit/cxrkit/configs"
	"gopkg.in/yaml.v3"
)

// DefaultFile is the name of the embedded default label map.
const DefaultFile = "labelmap.yaml"

// Default loads the embedded configs/labelmap.yaml.
func Default() (*Vocabulary, error) {
	return LoadFile("")
}

// LoadFile loads a label map from path, or the embedded default when path
// is empty.
func LoadFile(path string) (*Vocabulary, error) {
	data, name, err := configs.ReadDefaultOr(DefaultFile, path)
	if err != nil {
		return nil, fmt.Errorf("labelmap: %w", err)
	}
	return Parse(data, name)
}

// Load reads a label map from r; name is used in error messages.
func Load(r io.Reader, name string) (*Vocabulary, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("labelmap %s: %w", name, err)
	}
	return Parse(data, name)
}

// Parse decodes and validates a label map document.
func Parse(data []byte, name string) (*Vocabulary, error) {
	p := parser{name: name}
	v, err := p.parse(data)
	if err != nil {
		return nil, err
	}
	return v, nil
}

type parser struct{ name string }

func (p parser) errorf(n *yaml.Node, format string, args ...any) error {
	line := 0
	if n != nil {
		line = n.Line
	}
	return fmt.Errorf("labelmap %s:%d: %s", p.name, line, fmt.Sprintf(format, args...))
}

func (p parser) parse(data []byte) (*Vocabulary, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("labelmap %s: empty document", p.name)
		}
		return nil, fmt.Errorf("labelmap %s: %w", p.name, err)
	}
	if len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, p.errorf(&doc, "top level must be a mapping with urgent, specificity, synonyms and sources")
	}
	v := &Vocabulary{synonyms: map[string]Label{}, sources: map[string]*SourceMap{}}
	seen := map[string]bool{}
	root := doc.Content[0]
	for i := 0; i+1 < len(root.Content); i += 2 {
		key, val := root.Content[i], root.Content[i+1]
		if seen[key.Value] {
			return nil, p.errorf(key, "duplicate key %q", key.Value)
		}
		seen[key.Value] = true
		var err error
		switch key.Value {
		case "urgent":
			v.urgent, err = p.labelList(val, false)
			v.urgent = sortedUnique(v.urgent)
		case "specificity":
			v.specificity, err = p.specificity(val)
		case "synonyms":
			err = p.synonyms(val, v.synonyms)
		case "sources":
			err = p.sources(val, v)
		default:
			err = p.errorf(key, "unknown key %q (want urgent, specificity, synonyms, sources)", key.Value)
		}
		if err != nil {
			return nil, err
		}
	}
	for _, k := range []string{"urgent", "specificity", "sources"} {
		if !seen[k] {
			return nil, p.errorf(root, "missing key %q", k)
		}
	}
	return v, nil
}

func (p parser) label(n *yaml.Node, allowNoFinding bool) (Label, error) {
	if n.Kind != yaml.ScalarNode {
		return "", p.errorf(n, "want a canonical label, got a %s", kindName(n))
	}
	l := Label(n.Value)
	if !l.Valid() || (!allowNoFinding && l == NoFinding) {
		return "", p.errorf(n, "unknown canonical label %q (want one of %v)", n.Value, All())
	}
	return l, nil
}

func (p parser) labelList(n *yaml.Node, allowNoFinding bool) ([]Label, error) {
	if n.Kind != yaml.SequenceNode {
		return nil, p.errorf(n, "want a list of labels, got a %s", kindName(n))
	}
	out := make([]Label, 0, len(n.Content))
	for _, c := range n.Content {
		l, err := p.label(c, allowNoFinding)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, nil
}

func (p parser) specificity(n *yaml.Node) ([]Label, error) {
	list, err := p.labelList(n, false)
	if err != nil {
		return nil, err
	}
	for _, l := range Positives() {
		if c := count(list, l); c != 1 {
			return nil, p.errorf(n, "specificity must list each positive label exactly once; %s appears %d times", l, c)
		}
	}
	return list, nil
}

func count(list []Label, l Label) int {
	n := 0
	for _, x := range list {
		if x == l {
			n++
		}
	}
	return n
}

func (p parser) synonyms(n *yaml.Node, into map[string]Label) error {
	if n.Kind != yaml.MappingNode {
		return p.errorf(n, "synonyms: want a mapping label -> list of phrases")
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		l, err := p.label(n.Content[i], true)
		if err != nil {
			return err
		}
		list := n.Content[i+1]
		if list.Kind != yaml.SequenceNode {
			return p.errorf(list, "synonyms of %s: want a list of phrases", l)
		}
		for _, s := range list.Content {
			if s.Kind != yaml.ScalarNode || phraseKey(s.Value) == "" {
				return p.errorf(s, "synonyms of %s: want a non-empty phrase", l)
			}
			k := phraseKey(s.Value)
			if prev, ok := into[k]; ok && prev != l {
				return p.errorf(s, "synonym %q given for both %s and %s", s.Value, prev, l)
			}
			into[k] = l
		}
	}
	return nil
}

func (p parser) sources(n *yaml.Node, v *Vocabulary) error {
	if n.Kind != yaml.MappingNode {
		return p.errorf(n, "sources: want a mapping source -> native label map")
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		name, body := n.Content[i], n.Content[i+1]
		if _, dup := v.sources[name.Value]; dup {
			return p.errorf(name, "duplicate source %q", name.Value)
		}
		if body.Kind != yaml.MappingNode {
			return p.errorf(body, "source %s: want a mapping native label -> canonical label or null", name.Value)
		}
		m := &SourceMap{Name: name.Value, byKey: map[string]int{}}
		for j := 0; j+1 < len(body.Content); j += 2 {
			nk, nv := body.Content[j], body.Content[j+1]
			if nk.Kind != yaml.ScalarNode || nativeKey(nk.Value) == "" {
				return p.errorf(nk, "source %s: empty native label", name.Value)
			}
			k := nativeKey(nk.Value)
			if prev, dup := m.byKey[k]; dup {
				return p.errorf(nk, "source %s: duplicate native label %q (already on line %d as %q)",
					name.Value, nk.Value, m.entries[prev].Line, m.entries[prev].Native)
			}
			e := Entry{Native: nk.Value, Line: nk.Line}
			if !(nv.Kind == yaml.ScalarNode && nv.Tag == "!!null") {
				l, err := p.label(nv, true)
				if err != nil {
					return err
				}
				e.Label = l
			}
			m.byKey[k] = len(m.entries)
			m.entries = append(m.entries, e)
		}
		v.sources[name.Value] = m
		v.sourceNames = append(v.sourceNames, name.Value)
	}
	if len(v.sourceNames) == 0 {
		return p.errorf(n, "sources: no source maps")
	}
	slices.Sort(v.sourceNames)
	return nil
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	case yaml.ScalarNode:
		return "scalar"
	case yaml.AliasNode:
		return "alias"
	}
	return "document"
}
