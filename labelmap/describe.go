package labelmap

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
)

// Description is the vocabulary as `cxrkit labels --json` prints it.
type Description struct {
	Labels      []LabelInfo           `json:"labels"`
	Urgent      []Label               `json:"urgent"`
	Specificity []Label               `json:"specificity"`
	Sources     map[string][]MapEntry `json:"sources"`
	Synonyms    map[Label][]string    `json:"synonyms"`
}

// LabelInfo describes one canonical label.
type LabelInfo struct {
	Label   Label  `json:"label"`
	Display string `json:"display"`
	Order   int    `json:"order"`
	Urgent  bool   `json:"urgent"`
	// SpecificityRank is 1 for the most specific label, 0 for no_finding.
	SpecificityRank int `json:"specificity_rank"`
}

// MapEntry is one native label of a source; Label is nil when dropped.
type MapEntry struct {
	Native string `json:"native"`
	Label  *Label `json:"label"`
}

// Describe returns the whole vocabulary for display.
func (v *Vocabulary) Describe() Description {
	d := Description{Urgent: v.Urgent(), Specificity: v.Specificity(), Sources: map[string][]MapEntry{}, Synonyms: map[Label][]string{}}
	for _, l := range All() {
		d.Labels = append(d.Labels, LabelInfo{
			Label: l, Display: l.Display(), Order: l.Index(), Urgent: v.IsUrgent(l),
			SpecificityRank: slices.Index(v.specificity, l) + 1,
		})
		if syn := v.Synonyms(l); len(syn) > 0 {
			d.Synonyms[l] = syn
		}
	}
	for _, name := range v.SourceNames() {
		entries := []MapEntry{}
		for _, e := range v.Source(name).Entries() {
			me := MapEntry{Native: e.Native}
			if e.Label != "" {
				l := e.Label
				me.Label = &l
			}
			entries = append(entries, me)
		}
		d.Sources[name] = entries
	}
	return d
}

// WriteTable prints the vocabulary as aligned text tables.
func (v *Vocabulary) WriteTable(w io.Writer) error {
	d := v.Describe()
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ORDER\tLABEL\tDISPLAY\tURGENT\tSPECIFICITY")
	for _, l := range d.Labels {
		spec := "-"
		if l.SpecificityRank > 0 {
			spec = fmt.Sprint(l.SpecificityRank)
		}
		urgent := ""
		if l.Urgent {
			urgent = "yes"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", l.Order+1, l.Label, l.Display, urgent, spec)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nurgent whitelist: %s\nspecificity (most specific first): %s\n",
		joinLabels(d.Urgent), joinLabels(d.Specificity))
	for _, name := range v.SourceNames() {
		fmt.Fprintf(w, "\nsource %s\n", name)
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  NATIVE\tCANONICAL")
		for _, e := range d.Sources[name] {
			target := "(dropped)"
			if e.Label != nil {
				target = string(*e.Label)
			}
			fmt.Fprintf(tw, "  %s\t%s\n", e.Native, target)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}

func joinLabels(ls []Label) string {
	s := make([]string, len(ls))
	for i, l := range ls {
		s[i] = string(l)
	}
	return strings.Join(s, ", ")
}
