package cxrkit

// Closest returns the candidate nearest to word by edit distance, for "did
// you mean" hints on mistyped commands, flags and config keys: a
// plausible typo (a quarter of the word's letters differ, at least one
// allowed), else the one candidate word is a prefix of (abbreviations
// such as "prep"), else "".
func Closest(word string, candidates []string) string {
	best, bestD := "", max(1, len(word)/4)+1 // strictly closer than this
	for _, c := range candidates {
		if d := editDistance(word, c); d < bestD {
			best, bestD = c, d
		}
	}
	if best != "" || len(word) < 2 {
		return best
	}
	for _, c := range candidates {
		if len(c) > len(word) && c[:len(word)] == word {
			if best != "" {
				return "" // ambiguous
			}
			best = c
		}
	}
	return best
}

// editDistance is the Damerau–Levenshtein distance (adjacent swaps count
// once) between a and b, by bytes.
func editDistance(a, b string) int {
	if len(a) > 256 || len(b) > 256 {
		return max(len(a), len(b)) // not a typo of anything; bounded work
	}
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
