package audit

import (
	"strings"
	"testing"
)

func TestExpandPhrase(t *testing.T) {
	tests := []struct {
		pattern string
		want    string // expansions joined by " | ", or the error
	}{
		{"pleural (effusion|effusions)", "pleural effusion | pleural effusions"},
		{"no (definite |)effusion", "no definite effusion | no effusion"},
		{"(a (b|c)|d) e", "a b e | a c e | d e"},
		{"mass-like", "mass like"},
		{"can't exclude", "can t exclude"},
		{"r/o", "r / o"},
		{"effusion: none", "effusion : none"},
		{"(", "unclosed '('"},
		{"a)", "unbalanced ')'"},
		{"(|)", "the pattern can match nothing"},
		{"a.b", "character '.' is not allowed in a pattern"},
		{strings.Repeat("(a|b|c|d|e)", 8), "the pattern expands to more than 20000 phrases"},
	}
	for _, tt := range tests {
		seqs, err := expandPhrase(tt.pattern)
		var got []string
		for _, s := range seqs {
			got = append(got, strings.Join(s, " "))
		}
		g := strings.Join(got, " | ")
		if err != nil {
			g = err.Error()
		}
		if g != tt.want {
			t.Errorf("%q: got %q, want %q", tt.pattern, g, tt.want)
		}
	}
}

func FuzzExpandPhrase(f *testing.F) {
	for _, s := range []string{"pleural (effusion|effusions)", "(a (b|c)|)d", "((", "a|b)", "no (x |)y, z: w"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		seqs, err := expandPhrase(p)
		if err != nil {
			return
		}
		if len(seqs) == 0 || len(seqs) > maxExpansions {
			t.Fatalf("%q: %d expansions", p, len(seqs))
		}
		for _, s := range seqs {
			if len(s) == 0 {
				t.Fatalf("%q: an empty expansion", p)
			}
		}
	})
}
