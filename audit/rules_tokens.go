package audit

// tokKind tells words from the punctuation the rules care about.
type tokKind uint8

const (
	tokWord     tokKind = iota
	tokPunct            // , ; : / ( ) and a ? glued to a word ("?pneumonia")
	tokSentence         // . ? ! before a space or the end, or a line break
)

// token is a byte range of the lowercased draft. Words are runs of ASCII
// letters and digits (a period between digits stays inside: "1.5");
// hyphens, apostrophes, other symbols and non-ASCII bytes only separate.
type token struct {
	start, end int
	kind       tokKind
}

// tokenize scans s once. The caller lowercases ASCII first so that byte
// offsets into s are offsets into the draft.
func tokenize(s string, filler map[string]bool) []token {
	toks := make([]token, 0, len(s)/5+1)
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case isWordByte(c):
			j := i + 1
			for j < len(s) && (isWordByte(s[j]) || s[j] == '.' && j+1 < len(s) && isDigit(s[j-1]) && isDigit(s[j+1])) {
				j++
			}
			if !filler[s[i:j]] {
				toks = append(toks, token{i, j, tokWord})
			}
			i = j
			continue
		case c == '\n' || c == '\r':
			toks = append(toks, token{i, i + 1, tokSentence})
		case c == '.' || c == '?' || c == '!':
			if c == '.' && i >= 2 && s[i-2:i] == "vs" && (i == 2 || !isWordByte(s[i-3])) {
				// "effusion vs. atelectasis": an abbreviation, not a sentence end.
			} else if i+1 == len(s) || isSpace(s[i+1]) {
				toks = append(toks, token{i, i + 1, tokSentence})
			} else if c == '?' {
				toks = append(toks, token{i, i + 1, tokPunct})
			}
		case c == ',' || c == ';' || c == ':' || c == '/' || c == '(' || c == ')':
			toks = append(toks, token{i, i + 1, tokPunct})
		}
		i++
	}
	return toks
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// asciiLower lowercases ASCII letters only, so byte offsets into the
// result are offsets into the original text.
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if c := b[j]; c >= 'A' && c <= 'Z' {
					b[j] = c + 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}
