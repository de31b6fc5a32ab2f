package audit

// tokKind tells words from the punctuation the rules care about.
type tokKind uint8

const (
	tokWord  tokKind = iota
	tokPunct         // , ; : / ( ) and a ? glued to a word ("?pneumonia")
)

// token is a byte range of the lowercased draft. Words are runs of ASCII
// letters and digits (a period between digits stays inside: "1.5");
// hyphens, apostrophes, other symbols and non-ASCII bytes only separate.
type token struct {
	start, end int
	id         int32 // the word's number in the rules' vocabulary, or noWord
	kind       tokKind
}

// sentenceScanner cuts a lowercased draft into sentences of tokens, one
// sentence at a time into a reused buffer, so memory stays the size of the
// longest sentence. A sentence ends at ". " "? " "! " (a period, question
// or exclamation mark before a space or the end) or a line break.
type sentenceScanner struct {
	s      string
	vocab  vocabulary
	filler []int32
	pos    int
	toks   []token
	// ctx, once done, ends scanning early; the sentence returned then is
	// cut short.
	ctx stopper
}

// next returns the tokens of the next sentence and its byte range; ok is
// false at the end of the draft.
func (sc *sentenceScanner) next() (toks []token, sent span, ok bool) {
	s := sc.s
	if sc.pos >= len(s) {
		return nil, span{}, false
	}
	sc.toks = sc.toks[:0]
	start := sc.pos
	nextCheck := start + checkEvery
	for i := sc.pos; i < len(s); {
		if i >= nextCheck {
			if stopped(sc.ctx) {
				sc.pos = len(s)
				return sc.toks, span{start, i}, true
			}
			nextCheck = i + checkEvery
		}
		c := s[i]
		switch {
		case isWordByte(c):
			j := i + 1
			for j < len(s) && (isWordByte(s[j]) || s[j] == '.' && j+1 < len(s) && isDigit(s[j-1]) && isDigit(s[j+1])) {
				j++
			}
			if id := sc.word(s[i:j]); id != fillerWord {
				sc.toks = append(sc.toks, token{i, j, id, tokWord})
			}
			i = j
			continue
		case c == '\n' || c == '\r':
			sc.pos = i + 1
			return sc.toks, span{start, i}, true
		case c == '.' || c == '?' || c == '!':
			abbrev := c == '.' && i >= 2 && s[i-2:i] == "vs" && (i == 2 || !isWordByte(s[i-3]))
			if !abbrev && (i+1 == len(s) || isSpace(s[i+1])) {
				sc.pos = i + 1
				return sc.toks, span{start, i}, true
			}
			if c == '?' {
				sc.toks = append(sc.toks, token{i, i + 1, sc.word(s[i : i+1]), tokPunct})
			}
		case c == ',' || c == ';' || c == ':' || c == '/' || c == '(' || c == ')':
			sc.toks = append(sc.toks, token{i, i + 1, sc.word(s[i : i+1]), tokPunct})
		}
		i++
	}
	sc.pos = len(s)
	return sc.toks, span{start, len(s)}, true
}

// fillerWord marks a word the rules skip.
const fillerWord int32 = -2

// word numbers w, or says it is filler or unknown.
func (sc *sentenceScanner) word(w string) int32 {
	id, ok := sc.vocab[w]
	if !ok {
		return noWord
	}
	for _, f := range sc.filler {
		if f == id {
			return fillerWord
		}
	}
	return id
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// asciiLower lowercases ASCII letters only, so byte offsets into the
// result are offsets into the original text. Once ctx is done it stops
// and returns a partly lowered text, which the caller discards.
func asciiLower(s string, ctx stopper) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			nextCheck := i + 16*checkEvery
			for j := i; j < len(b); j++ {
				if j >= nextCheck {
					if stopped(ctx) {
						break
					}
					nextCheck = j + 16*checkEvery
				}
				if c := b[j]; c >= 'A' && c <= 'Z' {
					b[j] = c + 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}
