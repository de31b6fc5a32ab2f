package dataset

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFileWithoutKeptRowsIsLoud: a file that gives no kept row (all rows
// unmapped, all rejected, or none at all) is named in report.json and in
// a WARNING line of the summary, while files that keep rows are not.
func TestFileWithoutKeptRowsIsLoud(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	unmapped := write("entries_unmapped.csv", "Image Index,Finding Labels,Patient ID\n00000100_000.png,Atelectasis,00000100\n00000101_000.png,Emphysema|Fibrosis,00000101\n")
	empty := write("entries_empty.csv", "Image Index,Finding Labels,Patient ID\n")
	rejected := write("vindr_rejected.csv", "image_id,class_name,class_id,rad_id,x_min,y_min,x_max,y_max\n"+
		"bbbb0000000000000000000000000001,Cardiomegaly,3,R1,abc,1,2,3\n"+
		"bbbb0000000000000000000000000001,Cardiomegaly,3,R2,9,1,2,3\n")
	o := fixtureOptions(t)
	o.NIHEntries = append(o.NIHEntries, unmapped, empty)
	o.VinDr = append(o.VinDr, rejected)
	rep, _ := runPrepare(t, o)
	want := map[string]FileWithoutKeptRows{
		unmapped: {Input: inputNIH, File: unmapped, RowsRead: 2, RowsDropped: 2},
		empty:    {Input: inputNIH, File: empty},
		rejected: {Input: inputVinDr, File: rejected, RowsRead: 2, RowsRejected: 2},
	}
	if len(rep.FilesWithoutKeptRows) != len(want) {
		t.Errorf("files without kept rows = %+v, want the 3 written here", rep.FilesWithoutKeptRows)
	}
	for _, f := range rep.FilesWithoutKeptRows {
		if f != want[f.File] {
			t.Errorf("got %+v, want %+v", f, want[f.File])
		}
	}
	sum := rep.Summary()
	for file := range want {
		if !strings.Contains(sum, "WARNING: no row kept from ") || !strings.Contains(sum, file) {
			t.Errorf("summary does not name %s:\n%s", file, sum)
		}
	}
	data, err := os.ReadFile(filepath.Join(o.Out, ReportFile))
	if err != nil {
		t.Fatal(err)
	}
	var written struct {
		Files []FileWithoutKeptRows `json:"files_without_kept_rows"`
	}
	if err := json.Unmarshal(data, &written); err != nil || len(written.Files) != len(want) {
		t.Errorf("report.json files_without_kept_rows = %+v (%v)", written.Files, err)
	}
}
