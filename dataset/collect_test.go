package dataset

import "testing"

func TestIDPrefixOrdersAsIDs(t *testing.T) {
	ids := []string{"", "a", "a\x00", "a\x00\x00", "ab", "abcdefgh", "abcdefgh\x00", "abcdefghi", "abcdefgi", "b", "\xff", "\xff\xff\xff\xff\xff\xff\xff\xff\xff"}
	for _, a := range ids {
		for _, b := range ids {
			pa, pb := idPrefix(a), idPrefix(b)
			if pa != pb && (pa < pb) != (a < b) {
				t.Errorf("idPrefix orders %q, %q unlike the ids", a, b)
			}
		}
	}
}
