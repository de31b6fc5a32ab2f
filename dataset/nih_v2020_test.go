package dataset

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// TestNIHDataEntryV2020: Data_Entry_2017_v2020.csv (11 header fields, no
// trailing comma; ages without the Y) reads as the same images, labels,
// patients and accounting as the 2017 file with its 12-field header.
func TestNIHDataEntryV2020(t *testing.T) {
	var corpora [2][]byte
	var stats [2]SourceStats
	for i, name := range []string{"nih_entries.csv", "nih_entries_v2020.csv"} {
		o := Defaults()
		o.NIHEntries = []string{filepath.Join("testdata", name)}
		o.NormalRatio, o.Out = NormalRatioAll, t.TempDir()
		rep, recs := runPrepare(t, o)
		st := rep.Inputs[inputNIH]
		if st.RowsRead != 7 || st.RowsRejected != 0 || !st.Balanced() || len(recs) == 0 {
			t.Fatalf("%s: %+v, %d records", name, st, len(recs))
		}
		stats[i] = *st
		stats[i].Files = nil
		data, err := os.ReadFile(filepath.Join(o.Out, CorpusFile))
		if err != nil {
			t.Fatal(err)
		}
		corpora[i] = data
	}
	if !bytes.Equal(corpora[0], corpora[1]) {
		t.Errorf("corpora differ:\n2017:  %s\nv2020: %s", corpora[0], corpora[1])
	}
	if !reflect.DeepEqual(stats[0], stats[1]) {
		t.Errorf("accounting differs:\n2017:  %+v\nv2020: %+v", stats[0], stats[1])
	}
}
