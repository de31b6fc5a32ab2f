package audit

import (
	"errors"
	"fmt"
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
	lower := asciiLower(p, nil)
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

// vocabulary numbers the words of all phrases, so that a draft's word is
// hashed once and then walked through the trie by number; a word no
// phrase uses gets noWord and stops every walk at once.
type vocabulary map[string]int32

const noWord int32 = -1

func (v vocabulary) id(w string) int32 {
	if n, ok := v[w]; ok {
		return n
	}
	n := int32(len(v))
	v[w] = n
	return n
}

// trie maps word sequences to what they mean. One trie holds mentions,
// cues and normal-study phrases, so a draft is walked once per position.
type trie struct {
	next    map[int32]*trie
	mention *mentionRule
	cue     *cueRule
	normal  bool
}

// node returns the node of seq, creating it.
func (t *trie) node(v vocabulary, seq []string) *trie {
	n := t
	for _, w := range seq {
		if n.next == nil {
			n.next = map[int32]*trie{}
		}
		id := v.id(w)
		c := n.next[id]
		if c == nil {
			c = &trie{}
			n.next[id] = c
		}
		n = c
	}
	return n
}

// match is the longest mention, the longest cue and whether a normal
// phrase starts at one position.
type match struct {
	mention    *mentionRule
	cue        *cueRule
	mLen, cLen int
	normal     bool
}

// longest walks the trie from toks[i].
func (t *trie) longest(toks []token, i int) match {
	var m match
	n := t
	for j := i; j < len(toks) && n.next != nil; j++ {
		if toks[j].id == noWord {
			break
		}
		if n = n.next[toks[j].id]; n == nil {
			break
		}
		if n.mention != nil {
			m.mention, m.mLen = n.mention, j-i+1
		}
		if n.cue != nil {
			m.cue, m.cLen = n.cue, j-i+1
		}
		m.normal = m.normal || n.normal
	}
	return m
}
