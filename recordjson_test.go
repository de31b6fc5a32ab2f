package cxrkit

import (
	"bytes"
	"math"
	"testing"

	"github.com/cxrkit/cxrkit/boxes"
	"github.com/cxrkit/cxrkit/labelmap"
)

func TestRecordAppendJSONMatchesEncoder(t *testing.T) {
	box := boxes.Box{Y0: 0.1, X0: 0.2, Y1: 0.30000000000000004, X1: 1e-7}
	odd := []string{"", "plain", `q"uote`, `back\slash`, "tab\tnl\n", "<a&b>", "é ü 中", "\u2028\u2029", "bad\xffutf8", "\x00\x1f\x7f"}
	var recs []Record
	for _, s := range odd {
		recs = append(recs, Record{ImageID: s, Source: Source(s), PatientID: s, Split: Split(s), ImagePath: s,
			Findings: []Finding{{Label: labelmap.Label(s)}}, OtherLabels: []string{s, "x"}})
	}
	recs = append(recs,
		Record{ImageID: "a", Source: SourceVinDr, Split: SplitTrain, Width: 3000, Height: -1},
		Record{ImageID: "a", Findings: []Finding{}, OtherLabels: []string{}},
		Record{ImageID: "a", Findings: NoFindingList()},
		Record{ImageID: "a", Findings: []Finding{{Label: labelmap.NoduleMass, Box: &box, Readers: 3}, {Label: labelmap.Cardiomegaly, Box: &box}}},
	)
	for _, r := range recs {
		var want bytes.Buffer
		if err := NewJSONLEncoder(&want).Encode(&r); err != nil {
			t.Fatal(err)
		}
		got, err := r.AppendJSON(nil)
		if err != nil {
			t.Fatal(err)
		}
		if string(got)+"\n" != want.String() {
			t.Errorf("got  %s\nwant %s", got, want.String())
		}
	}
	nan := boxes.Box{Y0: math.NaN()}
	bad := Record{Findings: []Finding{{Label: labelmap.NoduleMass, Box: &nan}}}
	if _, err := bad.AppendJSON(nil); err == nil {
		t.Fatal("a non-finite box encoded")
	}
}
