package audit

import (
	"errors"
	"fmt"
	"strings"
)

// A phrase pattern is a sequence of words with alternatives:
//
//	pleural (effusion|effusions)
//	no (definite |convincing |)evidence (of|for)
//
// "(a|b c|)" is a group of alternatives, each a word sequence; an empty
// alternative makes the group optional. Groups nest. Words are tokenized
// like draft text, so "mass-like" is the two words "mass like" and ","
// ";" ":" "/" are tokens of their own. A pattern expands to at most
// maxExpansions word sequences.
const maxExpansions = 20000

// expandPhrase returns the token sequences a pattern stands for.
func expandPhrase(p string) ([][]string, error) {
	toks, err := lexPhrase(p)
	if err != nil {
		return nil, err
	}
	pos := 0
	seqs, err := parseSeq(toks, &pos)
	if err != nil {
		return nil, err
	}
	if pos != len(toks) {
		return nil, errors.New("unbalanced ')'")
	}
	for _, s := range seqs {
		if len(s) == 0 {
			return nil, errors.New("the pattern can match nothing")
		}
	}
	return seqs, nil
}

// lexPhrase splits a pattern into words, punctuation tokens and the
// group characters ( | ).
func lexPhrase(p string) ([]string, error) {
	var out []string
	lower := asciiLower(p)
	for i := 0; i < len(lower); {
		c := lower[i]
		switch {
		case c == '(' || c == ')' || c == '|':
			out = append(out, string(c))
		case isWordByte(c):
			j := i + 1
			for j < len(lower) && (isWordByte(lower[j]) || lower[j] == '.' && j+1 < len(lower) && isDigit(lower[j-1]) && isDigit(lower[j+1])) {
				j++
			}
			out = append(out, lower[i:j])
			i = j
			continue
		case c == ',' || c == ';' || c == ':' || c == '/' || c == '?':
			out = append(out, string(c))
		case c == ' ' || c == '-' || c == '\'':
		default:
			return nil, fmt.Errorf("character %q is not allowed in a pattern", c)
		}
		i++
	}
	return out, nil
}

// parseSeq reads a sequence of words and groups up to a "|" or ")".
func parseSeq(toks []string, pos *int) ([][]string, error) {
	seqs := [][]string{nil}
	for *pos < len(toks) {
		t := toks[*pos]
		switch t {
		case "|", ")":
			return seqs, nil
		case "(":
			*pos++
			var alts [][]string
			for {
				a, err := parseSeq(toks, pos)
				if err != nil {
					return nil, err
				}
				alts = append(alts, a...)
				if *pos >= len(toks) {
					return nil, errors.New("unclosed '('")
				}
				if toks[*pos] == ")" {
					*pos++
					break
				}
				*pos++ // "|"
			}
			if len(seqs)*len(alts) > maxExpansions {
				return nil, fmt.Errorf("the pattern expands to more than %d phrases", maxExpansions)
			}
			next := make([][]string, 0, len(seqs)*len(alts))
			for _, s := range seqs {
				for _, a := range alts {
					next = append(next, append(append([]string(nil), s...), a...))
				}
			}
			seqs = next
		default:
			*pos++
			for i := range seqs {
				seqs[i] = append(seqs[i], t)
			}
		}
	}
	return seqs, nil
}

// trie maps token sequences to what they mean; lookups take substrings
// of the draft as keys, so matching allocates nothing.
type trie[T any] struct {
	next map[string]*trie[T]
	val  *T
}

// add stores v under seq; an earlier value under the same sequence wins,
// so that rules listed first take precedence.
func (t *trie[T]) add(seq []string, v *T) {
	n := t
	for _, w := range seq {
		if n.next == nil {
			n.next = map[string]*trie[T]{}
		}
		c := n.next[w]
		if c == nil {
			c = &trie[T]{}
			n.next[w] = c
		}
		n = c
	}
	if n.val == nil {
		n.val = v
	}
}

// longest returns the value of the longest sequence starting at toks[i]
// and how many tokens it spans (0 when none). A sentence token never
// matches.
func (t *trie[T]) longest(s string, toks []token, i int) (*T, int) {
	var best *T
	n, length := t, 0
	for j := i; j < len(toks) && n.next != nil; j++ {
		tk := toks[j]
		if tk.kind == tokSentence {
			break
		}
		n = n.next[s[tk.start:tk.end]]
		if n == nil {
			break
		}
		if n.val != nil {
			best, length = n.val, j-i+1
		}
	}
	return best, length
}

func joinSeq(seq []string) string { return strings.Join(seq, " ") }
