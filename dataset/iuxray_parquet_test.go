package dataset

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// openIRow is one row in the layout of the Open-i parquet (Hugging Face
// ykumards/open-i): the columns of indiana_reports.csv, then the images.
// The report texts used here are written for cxrkit: IU-Xray rows must
// not be copied into the repository.
type openIRow struct {
	UID        int64   `parquet:"uid"`
	MeSH       *string `parquet:"MeSH,optional"`
	Problems   *string `parquet:"Problems,optional"`
	Image      *string `parquet:"image,optional"`
	Indication *string `parquet:"indication,optional"`
	Comparison *string `parquet:"comparison,optional"`
	Findings   *string `parquet:"findings,optional"`
	Impression *string `parquet:"impression,optional"`
	Frontal    hfImage `parquet:"img_frontal"`
	Lateral    hfImage `parquet:"img_lateral"`
}

func strp(s string) *string { return &s }

// ownOpenIRows are the rows of testdata/iu_reports.csv (also written for
// cxrkit) in the Open-i layout, with small PNGs as images, so the two
// files must read as the same reports.
func ownOpenIRows(t testing.TB) []openIRow {
	png := smallPNG(t, 8, 8)
	return []openIRow{
		{UID: 901, MeSH: strp("normal"), Problems: strp("normal"), Image: strp("Xray Chest PA and Lateral"), Indication: strp("Cough."), Comparison: strp("None."),
			Findings: strp("Heart size is normal. Lungs are clear without effusion or pneumothorax."), Impression: strp("No acute disease."),
			Frontal: hfImage{Bytes: png}, Lateral: hfImage{Bytes: png}},
		{UID: 903, MeSH: strp("Cardiomegaly/mild;Pleural Effusion/right/small"), Problems: strp("Cardiomegaly;Pleural Effusion"), Image: strp("Xray Chest PA and Lateral"), Indication: strp("Dyspnea."), Comparison: strp(""),
			Findings: strp("The heart is mildly enlarged. Small right pleural effusion.\nNo pneumothorax."), Impression: strp("Mild cardiomegaly and small right effusion."),
			Frontal: hfImage{Bytes: png}},
		{UID: 905, MeSH: strp("No Indexing"), Problems: strp("No Indexing"), Image: strp("Xray Chest PA and Lateral"), Lateral: hfImage{Bytes: png}},
	}
}

func writeParquetRows[T any](t testing.TB, path string, rows []T) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := parquet.NewGenericWriter[T](f)
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestOpenIParquetFixture writes testdata/iu_openi.parquet under -update;
// other packages' tests (eval --iu-reports) read the committed file.
func TestOpenIParquetFixture(t *testing.T) {
	path := filepath.Join("testdata", "iu_openi.parquet")
	if *update {
		writeParquetRows(t, path, ownOpenIRows(t))
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("%v (go test ./dataset -run OpenIParquetFixture -update writes it)", err)
	}
}

func readAllIU(t *testing.T, path string) ([]IUReport, error) {
	t.Helper()
	var got []IUReport
	err := ReadIUReports(context.Background(), path, func(r IUReport) error { got = append(got, r); return nil })
	return got, err
}

// TestReadIUReportsParquet: the Open-i parquet reads as the same reports
// as the CSV (lines are row numbers there), wherever it came from.
func TestReadIUReportsParquet(t *testing.T) {
	want, err := readAllIU(t, filepath.Join("testdata", "iu_reports.csv"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		want[i].Line = i + 1
	}
	dir := t.TempDir()
	written := filepath.Join(dir, "open-i.parquet")
	writeParquetRows(t, written, ownOpenIRows(t))
	// Detected by content, whatever the name.
	renamed := filepath.Join(dir, "reports.bin")
	data, _ := os.ReadFile(written)
	os.WriteFile(renamed, data, 0o644)
	for _, path := range []string{filepath.Join("testdata", "iu_openi.parquet"), written, renamed} {
		got, err := readAllIU(t, path)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %+v\nwant %+v", path, got, want)
		}
	}
}

// TestReadIUReportsRefusesOtherLayouts: a file with none of the layouts
// fails naming the columns expected and those missing.
func TestReadIUReportsRefusesOtherLayouts(t *testing.T) {
	type noFindings struct {
		UID        string `parquet:"uid"`
		MeSH       string `parquet:"MeSH"`
		Impression string `parquet:"impression"`
	}
	type imageFindings struct {
		UID        string  `parquet:"uid"`
		MeSH       string  `parquet:"MeSH"`
		Findings   hfImage `parquet:"findings"`
		Impression string  `parquet:"impression"`
	}
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.parquet")
	writeParquetRows(t, missing, []noFindings{{"1", "normal", "No acute disease."}})
	structCol := filepath.Join(dir, "struct.parquet")
	writeParquetRows(t, structCol, []imageFindings{{UID: "1", MeSH: "normal"}})
	notParquet := filepath.Join(dir, "fake.parquet")
	os.WriteFile(notParquet, []byte("uid,MeSH,findings,impression\n1,normal,,\n"), 0o644)
	projections := filepath.Join(dir, "indiana_projections.csv")
	os.WriteFile(projections, []byte("uid,filename,projection\n1,1_IM-0001-4001.dcm.png,Frontal\n"), 0o644)
	for _, c := range []struct {
		path string
		want []string
	}{
		{missing, []string{"missing findings", "uid, MeSH, findings, impression"}},
		{structCol, []string{"column findings is struct"}},
		{notParquet, []string{"fake.parquet"}},
		{projections, []string{"uid, MeSH, findings, impression", "filename"}},
	} {
		_, err := readAllIU(t, c.path)
		if err == nil {
			t.Errorf("%s: read without error", c.path)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not say %q", c.path, err, w)
			}
		}
		if c.path != notParquet && !errors.Is(err, errNotIUReports) {
			t.Errorf("%s: error %v is not errNotIUReports", c.path, err)
		}
	}
}

// FuzzIUReports reads arbitrary bytes as an IU-Xray reports file (CSV or
// parquet by content): an error or reports numbered from 1 in order,
// never a panic.
func FuzzIUReports(f *testing.F) {
	for _, name := range []string{"iu_reports.csv", "iu_openi.parquet"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "reports")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		last := 0
		err := ReadIUReports(context.Background(), path, func(r IUReport) error {
			if r.Line <= last {
				t.Fatalf("report line %d after %d", r.Line, last)
			}
			last = r.Line
			return nil
		})
		if err != nil && strings.Count(err.Error(), path) != 1 {
			t.Fatalf("error does not name the file once: %v", err)
		}
	})
}

// TestIUParquetRowGroupBound: a row group whose text columns declare more
// than the bound is refused from the file's metadata, before Arrow reads
// any column chunk whole, with an error naming the file; within the bound
// the same file reads.
func TestIUParquetRowGroupBound(t *testing.T) {
	path := filepath.Join(t.TempDir(), "open-i.parquet")
	writeParquetRows(t, path, ownOpenIRows(t))
	read := func(limit int64) (int, error) {
		n := 0
		err := readIUParquetWithin(context.Background(), path, limit, maxParquetBuffer, func(IUReport) error { n++; return nil })
		return n, err
	}
	for _, c := range []struct {
		limit   int64
		rows    int
		refused bool
	}{
		{maxIUTextGroupBytes, 3, false},
		{64, 0, true}, // the fixture's text columns hold a few hundred bytes
	} {
		n, err := read(c.limit)
		if c.refused {
			if !errors.Is(err, errIUTooLarge) || !strings.Contains(err.Error(), path) || n != 0 {
				t.Errorf("limit %d: %d rows, %v; want errIUTooLarge naming %s before any row", c.limit, n, err, path)
			}
			continue
		}
		if err != nil || n != c.rows {
			t.Errorf("limit %d: %d rows, %v; want %d", c.limit, n, err, c.rows)
		}
	}
}

// TestIUParquetBufferLimit: every buffer Arrow allocates reading an
// Open-i parquet is bounded (a damaged page header sizes one before it is
// read); over the bound the read is a malformed-parquet error naming the
// file, not an allocation.
func TestIUParquetBufferLimit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "open-i.parquet")
	writeParquetRows(t, path, ownOpenIRows(t))
	for _, c := range []struct {
		limit int
		fails bool
	}{
		{maxParquetBuffer, false},
		{1 << 20, false},
		{16, true},
	} {
		n := 0
		err := readIUParquetWithin(context.Background(), path, maxIUTextGroupBytes, c.limit, func(IUReport) error { n++; return nil })
		if c.fails != (err != nil) {
			t.Fatalf("limit %d: %d rows, err %v, want failure %v", c.limit, n, err, c.fails)
		}
		if err != nil && (!errors.Is(err, errMalformedParquet) || strings.Count(err.Error(), path) != 1 || !strings.Contains(err.Error(), "limit")) {
			t.Fatalf("limit %d: err %v, want a malformed-parquet error naming %s once and the limit", c.limit, err, path)
		}
	}
}
