package dataset

import (
	"fmt"
	"math"
	"testing"

	"github.com/cxrkit/cxrkit"
)

// splitsOf names each split.
func splitsOf(nums []splitNum) []cxrkit.Split {
	out := make([]cxrkit.Split, len(nums))
	for i, n := range nums {
		out[i] = n.split()
	}
	return out
}

func TestAssignSplitsGroupsAndHoldout(t *testing.T) {
	var items []splitItem
	var keys []string
	for i := range 1000 {
		strat := []string{"no_finding", "cardiomegaly", "cardiomegaly+pleural_effusion", "pneumothorax"}[i%4]
		items = append(items, splitItem{stratum: strat, group: fmt.Sprintf("p%d", i/3)})
		keys = append(keys, fmt.Sprintf("nih:%05d", i))
	}
	items[10].holdout = true
	dups := [][2]int{{100, 900}}
	got := splitsOf(assignSplits(items, keys, dups, 0.1, 0.1, 42))
	for i := 0; i+2 < len(items); i += 3 {
		if got[i] != got[i+1] || got[i] != got[i+2] {
			t.Fatalf("patient p%d split across %s %s %s", i/3, got[i], got[i+1], got[i+2])
		}
	}
	if got[10] != cxrkit.SplitTest || got[9] != cxrkit.SplitTest || got[11] != cxrkit.SplitTest {
		t.Fatalf("holdout group not in test: %s %s %s", got[9], got[10], got[11])
	}
	if got[100] != got[900] {
		t.Fatalf("duplicates split: %s vs %s", got[100], got[900])
	}
	counts := map[cxrkit.Split]int{}
	perStratum := map[string]map[cxrkit.Split]int{}
	for i, s := range got {
		counts[s]++
		if perStratum[items[i].stratum] == nil {
			perStratum[items[i].stratum] = map[cxrkit.Split]int{}
		}
		perStratum[items[i].stratum][s]++
	}
	for _, s := range []cxrkit.Split{cxrkit.SplitValidation, cxrkit.SplitTest} {
		if math.Abs(float64(counts[s])/1000-0.1) > 0.02 {
			t.Errorf("%s has %d of 1000", s, counts[s])
		}
	}
	if again := assignSplits(items, keys, dups, 0.1, 0.1, 42); fmt.Sprint(again) != fmt.Sprint(got) {
		t.Error("same seed gave different splits")
	}
	if other := assignSplits(items, keys, dups, 0.1, 0.1, 43); fmt.Sprint(other) == fmt.Sprint(got) {
		t.Error("another seed gave the same splits")
	}
	t.Logf("splits %v; per stratum %v", counts, perStratum)
}

func TestAssignSplitsStratifiesRareLabelSets(t *testing.T) {
	// 20 pneumothorax images among 980 normal ones: validation must get
	// about 2 of them, not 0.
	var items []splitItem
	var keys []string
	for i := range 1000 {
		s := "no_finding"
		if i%50 == 0 {
			s = "pneumothorax"
		}
		items = append(items, splitItem{stratum: s})
		keys = append(keys, fmt.Sprintf("v:%04d", i))
	}
	got := splitsOf(assignSplits(items, keys, nil, 0.1, 0, 1))
	val := 0
	for i, s := range got {
		if items[i].stratum == "pneumothorax" && s == cxrkit.SplitValidation {
			val++
		}
	}
	if val != 2 {
		t.Errorf("pneumothorax in validation = %d, want 2", val)
	}
}

func TestSampleNormals(t *testing.T) {
	keys := make([]string, 100)
	for i := range keys {
		keys[i] = fmt.Sprintf("k%d", i)
	}
	n := func(keep []bool) int {
		c := 0
		for _, k := range keep {
			if k {
				c++
			}
		}
		return c
	}
	if got := n(sampleNormals(keys, 30, 1, 0)); got != 30 {
		t.Errorf("ratio 1 kept %d, want 30", got)
	}
	if got := n(sampleNormals(keys, 30, 0.5, 0)); got != 15 {
		t.Errorf("ratio 0.5 kept %d, want 15", got)
	}
	if got := n(sampleNormals(keys, 300, 1, 0)); got != 100 {
		t.Errorf("more than available kept %d", got)
	}
	if got := n(sampleNormals(keys, 30, NormalRatioAll, 0)); got != 100 {
		t.Errorf("all kept %d", got)
	}
	// The sample of one key does not depend on the others being present.
	a := sampleNormals(keys, 50, 1, 3)
	b := sampleNormals(append([]string{}, keys...), 50, 1, 3)
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Error("not deterministic")
	}
}
