package infer

import "testing"

func TestClosingBracket(t *testing.T) {
	tests := []struct {
		s    string
		want int
	}{
		{`[1,2] tail`, 5},
		{`[{"a":"]"}] tail`, 11},
		{`[{"a":"\"]"}]`, 13},
		{`{"a":[1,{"b":2}]}x`, 17},
		{`[{"a":1}`, 8}, // truncated: runs to the end
	}
	for _, tt := range tests {
		if got := closingBracket(tt.s, 0); got != tt.want {
			t.Errorf("closingBracket(%q) = %d, want %d", tt.s, got, tt.want)
		}
	}
}
