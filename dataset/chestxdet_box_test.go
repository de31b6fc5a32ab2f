package dataset

import (
	"encoding/json"
	"testing"
)

// decodeBox is what fourNumbers must agree with: the box decoded into
// []float64 by encoding/json.
func decodeBox(raw []byte) ([4]float64, bool) {
	var v []float64
	if err := json.Unmarshal(raw, &v); err != nil || len(v) != 4 {
		return [4]float64{}, false
	}
	return [4]float64(v), true
}

var boxSeeds = []string{
	`[387, 497, 752, 734]`, `[1,2,3,4]`, ` [ 1.5 ,2e2, -3.25E-1 , 0 ] `, `[null, 1, 2, 3]`, `[0.0,-0,1e308,4]`,
	`[1,2,3]`, `[1,2,3,4,5]`, `[]`, `[1e400,1,2,3]`, `["1",2,3,4]`, `["1,2",3,4]`, `[[1],2,3,4]`,
	`{"a":1}`, `null`, `"x"`, `[1,2,3,{"b":[4,5]}]`, `[true,2,3,4]`, "[1,\n2,\t3,\r4]",
}

func TestFourNumbersAgreesWithDecoding(t *testing.T) {
	for _, s := range boxSeeds {
		got, ok := fourNumbers(json.RawMessage(s))
		want, wantOK := decodeBox([]byte(s))
		if ok != wantOK || (ok && got != want) {
			t.Errorf("%q: got %v %v, want %v %v", s, got, ok, want, wantOK)
		}
	}
}

func FuzzFourNumbers(f *testing.F) {
	for _, s := range boxSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !json.Valid([]byte(s)) {
			return // boxes come from validated elements
		}
		got, ok := fourNumbers(json.RawMessage(s))
		want, wantOK := decodeBox([]byte(s))
		if ok != wantOK || (ok && got != want) {
			t.Fatalf("%q: got %v %v, want %v %v", s, got, ok, want, wantOK)
		}
	})
}
