package dataset

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestVinDrImageLabels(t *testing.T) {
	o := Defaults()
	o.VinDr = []string{filepath.Join("testdata", "vindr_image_labels.csv")}
	o.NormalRatio, o.ValFraction, o.Out = NormalRatioAll, 0, t.TempDir()
	rep, recs := runPrepare(t, o)
	s := rep.Inputs["vindr"]
	// 6 rows: two positive readings, a No finding, an unmapped-only row
	// (dropped), an all-zero row (dropped, no label), a "2" (rejected).
	if got := [4]int{s.RowsRead, s.RowsKept, s.RowsDropped, s.RowsRejected}; got != [4]int{6, 3, 2, 1} {
		t.Fatalf("read,kept,dropped,rejected = %v, want [6 3 2 1]", got)
	}
	by := map[string]string{}
	for _, r := range recs {
		var ls []string
		for _, f := range r.Findings {
			if f.Box != nil {
				t.Errorf("%s: image labels have no boxes: %+v", r.Key(), f)
			}
			ls = append(ls, string(f.Label))
		}
		by[r.ImageID] = strings.Join(ls, ",")
	}
	want := map[string]string{
		"eeee0000000000000000000000000001": "pleural_effusion,cardiomegaly",
		"eeee0000000000000000000000000002": "no_finding",
		"eeee0000000000000000000000000003": "no_finding", // only classes outside the six labels
		"eeee0000000000000000000000000004": "no_finding",
	}
	for id, w := range want {
		if by[id] != w {
			t.Errorf("%s = %q, want %q", id, by[id], w)
		}
	}
	if _, ok := by["eeee0000000000000000000000000005"]; ok {
		t.Error("image whose only row was rejected got a record")
	}
}

func TestUnmappedOnlyRule(t *testing.T) {
	for _, rule := range []UnmappedRule{UnmappedNormal, UnmappedDrop} {
		o := fixtureOptions(t)
		o.UnmappedOnly = rule
		_, recs := runPrepare(t, o)
		by := map[string][]string{}
		found := map[string]bool{}
		for _, r := range recs {
			by[r.Key()], found[r.Key()] = r.OtherLabels, true
		}
		// One rule across sources: a VinDr image with only dropped classes,
		// an NIH Data_Entry Hernia-only image, a ChestX-Det Atelectasis-only
		// image.
		for _, k := range []string{"vindr:aaaa0000000000000000000000000004", "nih:00000003_000", "chestxdet:39467"} {
			if found[k] != (rule == UnmappedNormal) {
				t.Errorf("--unmapped-only %s: %s written = %v", rule, k, found[k])
			}
		}
		if got := strings.Join(by["vindr:aaaa0000000000000000000000000001"], ","); got != "Aortic enlargement" {
			t.Errorf("other_labels of a positive image = %q, want Aortic enlargement", got)
		}
	}
	o := fixtureOptions(t)
	o.UnmappedOnly = "maybe"
	if _, err := runPrepareErr(o); err == nil || !strings.Contains(err.Error(), "--unmapped-only") {
		t.Errorf("bad rule accepted: %v", err)
	}
}
