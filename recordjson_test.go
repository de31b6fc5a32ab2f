package cxrkit

import (
	"bytes"
	"fmt"
	"math"
	"reflect"
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

// TestRecordAppendJSONCoversEveryField fills every exported field of a
// Record, walking its type by reflection (nested structs, pointers and
// slice elements included), and compares AppendJSON with encoding/json: a
// field added to Record, or to what it holds, that AppendJSON does not
// write makes the outputs differ. A field of a kind fill does not know
// fails the test, so the walk cannot skip it.
func TestRecordAppendJSONCoversEveryField(t *testing.T) {
	var r Record
	n := 0
	fillEvery(t, reflect.ValueOf(&r).Elem(), "Record", &n)
	var want bytes.Buffer
	if err := NewJSONLEncoder(&want).Encode(&r); err != nil {
		t.Fatal(err)
	}
	got, err := r.AppendJSON(nil)
	if err != nil {
		t.Fatal(err)
	}
	if string(got)+"\n" != want.String() {
		t.Errorf("AppendJSON does not write every field of Record:\ngot  %s\nwant %s", got, want.String())
	}
}

// fillEvery sets v and everything it holds to distinct non-zero values.
func fillEvery(t *testing.T, v reflect.Value, path string, n *int) {
	t.Helper()
	*n++
	switch v.Kind() {
	case reflect.String:
		v.SetString(fmt.Sprintf("s%d", *n))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(*n))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(*n))
	case reflect.Float32, reflect.Float64:
		v.SetFloat(float64(*n) / 64)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fillEvery(t, v.Elem(), path, n)
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		for i := range 2 {
			fillEvery(t, v.Index(i), fmt.Sprintf("%s[%d]", path, i), n)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if f := v.Type().Field(i); f.IsExported() {
				fillEvery(t, v.Field(i), path+"."+f.Name, n)
			}
		}
	default:
		t.Fatalf("%s: fill a %s field here, so AppendJSON's test covers it", path, v.Kind())
	}
}
