package serve

import (
	"bufio"
	"errors"
	"io"
	"unicode"
	"unicode/utf8"
)

// readDraft reads a draft part and trims it as strings.TrimSpace does,
// keeping no more than limit bytes of it: whitespace before the draft is
// skipped as it arrives, and whitespace after it is kept only while it
// fits, so padding costs its reading time (bounded by the upload limit
// and timeout), never memory. over reports a trimmed draft longer than
// limit bytes; reading stops at its first byte past the limit.
func readDraft(r io.Reader, limit int) (draft string, over bool, err error) {
	br := bufio.NewReader(r)
	var kept []byte  // the draft from its first non-space rune
	end := 0         // kept[:end] ends with the last non-space rune
	dropped := false // whitespace after the draft did not fit in kept
	var enc [utf8.UTFMax]byte
	for {
		c, size, err := br.ReadRune()
		if errors.Is(err, io.EOF) {
			return string(kept[:end]), false, nil
		}
		if err != nil {
			return "", false, err
		}
		b := enc[:utf8.EncodeRune(enc[:], c)]
		if c == utf8.RuneError && size == 1 {
			// Not UTF-8: keep the byte that came, as TrimSpace does.
			_ = br.UnreadRune()
			raw, _ := br.ReadByte()
			b = append(enc[:0], raw)
		}
		space := unicode.IsSpace(c)
		switch {
		case space && len(kept) == 0:
		case space && len(kept)+len(b) > limit:
			dropped = true
		case space:
			kept = append(kept, b...)
		case dropped || len(kept)+len(b) > limit:
			return "", true, nil
		default:
			kept = append(kept, b...)
			end = len(kept)
		}
	}
}
