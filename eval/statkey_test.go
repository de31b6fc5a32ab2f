package eval

import (
	"slices"
	"testing"

	"github.com/cxrkit/cxrkit/labelmap"
)

// Statistics are looked up by typed key; their names in the reports
// (compare's diff keys) stay as they were.
func TestStatKeyNames(t *testing.T) {
	c := counter{thresholds: []float64{0.3, 0.5}, urgent: []labelmap.Label{labelmap.Pneumothorax}}
	var got []string
	for _, k := range c.statKeys() {
		got = append(got, k.String())
	}
	want := []string{"macro_f1", "macro_f1_defined_only"}
	for _, l := range labelmap.Positives() {
		want = append(want, "f1/"+string(l))
	}
	for _, th := range []string{"0.3", "0.5"} {
		want = append(want, "loc/"+th+"/rate")
		for _, l := range labelmap.Positives() {
			want = append(want, "loc/"+th+"/"+string(l)+"/rate")
		}
	}
	want = append(want, "urgent/pneumothorax")
	if !slices.Equal(got, want) {
		t.Errorf("stat names\n got %v\nwant %v", got, want)
	}
	out := make([]*float64, len(c.statKeys()))
	c.stats(make([]int64, c.size()), out) // panics if stats computes more values than there are keys

}
