package main

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// TestEvalParserModeOpenIParquet: `eval --iu-reports` reads the Open-i
// parquet (ykumards/open-i layout) as it reads indiana_reports.csv: the
// fixture holds the CSV fixture's reports, so the scores are the same.
func TestEvalParserModeOpenIParquet(t *testing.T) {
	type scores struct {
		Items    int             `json:"items"`
		Micro    json.RawMessage `json:"micro"`
		PerLabel json.RawMessage `json:"per_label"`
		Errors   json.RawMessage `json:"errors"`
	}
	var got [2]scores
	for i, path := range []string{"../../dataset/testdata/iu_reports.csv", "../../dataset/testdata/iu_openi.parquet"} {
		code, out, stderr := runCLI(t, "eval", "--iu-reports", path)
		if code != exitOK || !strings.Contains(stderr, "2 reports scored, 1 skipped") {
			t.Fatalf("%s: exit %d: %s", path, code, stderr)
		}
		if err := json.Unmarshal([]byte(out), &got[i]); err != nil || got[i].Items != 2 || len(got[i].Micro) == 0 || len(got[i].PerLabel) == 0 {
			t.Fatalf("%s: report %s (%v)", path, out, err)
		}
	}
	if !reflect.DeepEqual(got[0], got[1]) {
		t.Errorf("parquet scores differ from the CSV's:\ncsv:     %+v\nparquet: %+v", got[0], got[1])
	}
}
