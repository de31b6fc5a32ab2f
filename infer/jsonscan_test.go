package infer

import "testing"

func TestHasTopLevelTemperature(t *testing.T) {
	tests := []struct {
		body string
		want bool
	}{
		{`{"model":"m","temperature":0}`, true},
		{`{"model":"m", "temperature" : 0.2}`, true},
		{`{"model":"m"}`, false},
		{`{"messages":[{"content":"temperature"}]}`, false},
		{`{"messages":[{"temperature":1}]}`, false},
		{`{"prompt":"say \"temperature\": 1"}`, false},
		{`{"stop":["\\"],"temperature":0}`, true},
		{`{"x":{"temperature":1}}`, false},
		{`{"temperature_hint":1}`, false},
		{``, false},
	}
	for _, tt := range tests {
		if got := hasTopLevelTemperature([]byte(tt.body)); got != tt.want {
			t.Errorf("hasTopLevelTemperature(%s) = %v, want %v", tt.body, got, tt.want)
		}
	}
}

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
