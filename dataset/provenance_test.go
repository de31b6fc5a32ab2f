package dataset

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/cxrkit/cxrkit"
)

// TestReportRecordsProvenance: report.json records the build, the command
// line, the seed, the date and every input file with its sha256 and the
// rows read from it (summing to the per-input totals).
func TestReportRecordsProvenance(t *testing.T) {
	o := fixtureOptions(t)
	o.Command, o.Seed = []string{"cxrkit", "prepare", "--seed", "5"}, 5
	runPrepare(t, o)
	var rep struct {
		Inputs map[string]struct {
			RowsRead int `json:"rows_read"`
		} `json:"inputs"`
		Provenance *cxrkit.Provenance `json:"provenance"`
	}
	data, _ := os.ReadFile(filepath.Join(o.Out, ReportFile))
	if err := json.Unmarshal(data, &rep); err != nil || rep.Provenance == nil {
		t.Fatalf("no provenance (%v)", err)
	}
	p := rep.Provenance
	if !slices.Equal(p.Command, o.Command) || p.Seed != 5 || p.Version != cxrkit.VersionString() || time.Since(p.Date) > time.Minute {
		t.Fatalf("provenance %+v", p)
	}
	files := slices.Concat(o.VinDrMeta, o.VinDr, o.VQA, o.ChestXDet, o.NIHBoxes, o.NIHEntries)
	if len(p.Inputs) != len(files) {
		t.Fatalf("%d inputs recorded, want %d: %+v", len(p.Inputs), len(files), p.Inputs)
	}
	rows := map[string]int{}
	for _, in := range p.Inputs {
		data, err := os.ReadFile(in.Path)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		if !slices.Contains(files, in.Path) || in.SHA256 != hex.EncodeToString(sum[:]) || in.Bytes != int64(len(data)) || in.Rows <= 0 {
			t.Errorf("input %+v: want one of the files with its sha256 and rows", in)
		}
		rows[in.Flag] += in.Rows
	}
	for name, st := range rep.Inputs {
		if rows[name] != st.RowsRead {
			t.Errorf("%s: files' rows sum to %d, inputs say %d read", name, rows[name], st.RowsRead)
		}
	}
}
