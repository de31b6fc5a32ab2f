package labelmap

import (
	"strings"
	"unicode"
)

// nativeKey is the matching key for native dataset labels: case- and
// whitespace-insensitive ("Nodule / Mass" and "nodule/mass" meet).
func nativeKey(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if unicode.IsSpace(r) {
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// phraseKey is the matching key for free text: lower case, punctuation that
// joins words ("/", "_", "-", ",", parentheses, "&") read as spaces, runs of
// spaces collapsed.
func phraseKey(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := true
	for _, r := range s {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(unicode.ToLower(r))
			space = false
		case r == '\'':
			// "patient's" stays one word.
		default:
			if !space {
				b.WriteByte(' ')
				space = true
			}
		}
	}
	return strings.TrimRight(b.String(), " ")
}
