package synth

import (
	"strings"
	"testing"

	"github.com/cxrkit/cxrkit"
)

func TestSummaryStringIsStable(t *testing.T) {
	s := Summary{Cases: map[cxrkit.CaseType]int{"mixed": 3}, Skipped: map[cxrkit.CaseType]map[string]int{
		"mixed": {"image has no positive finding": 2, "image has every positive finding": 1},
	}, Disclaimer: "D"}
	want := "skipped 1: image has every positive finding   skipped 2: image has no positive finding"
	for range 20 {
		if got := s.String(); !strings.Contains(got, want) {
			t.Fatalf("summary:\n%s\nwant reasons in order: %s", got, want)
		}
	}
}
