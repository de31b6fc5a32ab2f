package serve

import (
	"strings"
	"testing"
	"testing/iotest"
)

// FuzzReadDraft: reading a draft part trims it exactly as
// strings.TrimSpace does, and refuses it exactly when the trimmed draft
// is longer than the byte limit, whatever the padding and however the
// bytes arrive.
func FuzzReadDraft(f *testing.F) {
	for _, s := range []string{"", " ", "Cardiomegaly.", "  a  b  ", "\u00a0x\u0085", "\xff \x85", "é\u2028", "\t\n\v\f\r x \r"} {
		f.Add(s, 4)
	}
	f.Fuzz(func(t *testing.T, s string, limit int) {
		limit = max(limit%64, 0)
		want := strings.TrimSpace(s)
		got, over, err := readDraft(iotest.OneByteReader(strings.NewReader(s)), limit)
		if err != nil {
			t.Fatal(err)
		}
		if over != (len(want) > limit) {
			t.Fatalf("readDraft(%q, %d): over %v, trimmed draft is %d bytes", s, limit, over, len(want))
		}
		if !over && got != want {
			t.Fatalf("readDraft(%q, %d) = %q, want %q", s, limit, got, want)
		}
	})
}
