package labelmap

import (
	"fmt"
	"slices"
)

// Vocabulary is a loaded label map: urgent whitelist, specificity order,
// free-text synonyms and the native→canonical map of every source.
type Vocabulary struct {
	urgent      []Label
	specificity []Label
	synonyms    map[string]Label
	sources     map[string]*SourceMap
	sourceNames []string
}

// Status says what a source map does with a native label.
type Status int

const (
	// Unknown: the native label is not in the source's map at all.
	Unknown Status = iota
	// Mapped: the native label has a canonical counterpart.
	Mapped
	// Dropped: the map lists the native label as having no counterpart.
	Dropped
)

func (s Status) String() string {
	switch s {
	case Mapped:
		return "mapped"
	case Dropped:
		return "dropped"
	}
	return "unknown"
}

// Entry is one native label of a source map.
type Entry struct {
	Native string `json:"native"`
	Label  Label  `json:"label,omitempty"` // empty when dropped
	Line   int    `json:"-"`
}

// SourceMap is one source's native→canonical map.
type SourceMap struct {
	Name    string
	entries []Entry
	byKey   map[string]int
}

// Lookup maps a native label, matching case- and whitespace-insensitively.
func (m *SourceMap) Lookup(native string) (Label, Status) {
	if m == nil {
		return "", Unknown
	}
	i, ok := m.byKey[nativeKey(native)]
	if !ok {
		return "", Unknown
	}
	if e := m.entries[i]; e.Label != "" {
		return e.Label, Mapped
	}
	return "", Dropped
}

// Entries returns the map's entries in file order.
func (m *SourceMap) Entries() []Entry { return slices.Clone(m.entries) }

// Urgent returns the urgent whitelist in presentation order.
func (v *Vocabulary) Urgent() []Label { return slices.Clone(v.urgent) }

// IsUrgent reports whether l is on the urgent whitelist.
func (v *Vocabulary) IsUrgent(l Label) bool { return slices.Contains(v.urgent, l) }

// WithUrgent returns a copy of v whose urgent whitelist is labels.
func (v *Vocabulary) WithUrgent(labels []Label) (*Vocabulary, error) {
	for _, l := range labels {
		if !l.Positive() {
			return nil, fmt.Errorf("urgent label %q is not a positive canonical label", l)
		}
	}
	c := *v
	c.urgent = sortedUnique(labels)
	return &c, nil
}

// Specificity returns the positive labels, most specific first.
func (v *Vocabulary) Specificity() []Label { return slices.Clone(v.specificity) }

// MoreSpecific reports whether a is strictly more specific than b.
func (v *Vocabulary) MoreSpecific(a, b Label) bool {
	ia, ib := slices.Index(v.specificity, a), slices.Index(v.specificity, b)
	return ia >= 0 && ib >= 0 && ia < ib
}

// Source returns the map of one source ("vindr", "nih", "chestxdet"), or
// nil when the label map has none.
func (v *Vocabulary) Source(name string) *SourceMap { return v.sources[name] }

// SourceNames returns the source names, sorted.
func (v *Vocabulary) SourceNames() []string { return slices.Clone(v.sourceNames) }

// Normalize maps a free-text label spelling ("Nodule/Mass", "effusion",
// "Lung Opacity / Consolidation", "no_finding") to a canonical label.
func (v *Vocabulary) Normalize(text string) (Label, bool) {
	k := phraseKey(text)
	if l, ok := v.synonyms[k]; ok {
		return l, true
	}
	// Canonical ids and display names always work, even when a custom map
	// forgot to list them as synonyms.
	for _, l := range All() {
		if k == phraseKey(string(l)) || k == phraseKey(l.Display()) {
			return l, true
		}
	}
	return "", false
}

// Synonyms returns every free-text phrase the vocabulary knows for l, in
// normalized form.
func (v *Vocabulary) Synonyms(l Label) []string {
	var out []string
	for k, sl := range v.synonyms {
		if sl == l {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

func sortedUnique(labels []Label) []Label {
	out := slices.Clone(labels)
	slices.SortFunc(out, func(a, b Label) int { return a.Index() - b.Index() })
	return slices.Compact(out)
}
