package dataset

import (
	"errors"
	"math"
	"testing"
)

var coordCases = []string{"", " ", "1264.0", " 743.5 ", "-0", "+1.", ".5", "1e3", "0x1p-2", "inf", "NaN", "1_000", "12x", "\u00a01.0\u2003", "1e400", "-", "."}

// TestParseCoordView: a coordinate read from a view of the reader's buffer
// parses as parseCoord parses its string, with the same reject reason.
func TestParseCoordView(t *testing.T) {
	for _, s := range coordCases {
		checkCoordViewAgrees(t, s)
	}
}

func FuzzParseCoordView(f *testing.F) {
	for _, s := range coordCases {
		f.Add(s)
	}
	f.Fuzz(checkCoordViewAgrees)
}

func checkCoordViewAgrees(t *testing.T, s string) {
	want, werr := parseCoord(s)
	got, gerr := parseCoordView([]byte(s))
	if (werr == nil) != (gerr == nil) || werr != nil && werr.Error() != gerr.Error() {
		t.Fatalf("%q: error %v, want %v", s, gerr, werr)
	}
	if math.Float64bits(got) != math.Float64bits(want) && !(math.IsNaN(got) && math.IsNaN(want)) {
		t.Fatalf("%q: %v, want %v", s, got, want)
	}
	for _, sentinel := range []error{errMissingCoord, errNonNumeric} {
		if errors.Is(gerr, sentinel) != errors.Is(werr, sentinel) {
			t.Fatalf("%q: %v, want %v", s, gerr, werr)
		}
	}
}

// TestParseCoordViewAllocs: parsing a well-formed coordinate from a view
// allocates nothing (the string conversion stays on the stack), so a row's
// coordinates cost no garbage.
func TestParseCoordViewAllocs(t *testing.T) {
	b := []byte(" 1611.0 ")
	if n := testing.AllocsPerRun(100, func() {
		if _, err := parseCoordView(b); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Fatalf("%v allocations per coordinate, want 0", n)
	}
}
