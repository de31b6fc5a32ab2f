package dataset

import (
	"context"
	"strings"
	"testing"
)

func TestReadIUReports(t *testing.T) {
	var got []IUReport
	err := ReadIUReports(context.Background(), "testdata/iu_reports.csv", func(r IUReport) error { got = append(got, r); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[1].UID != "903" || got[1].Line != 3 || len(got[1].MeSH) != 2 || got[1].MeSH[1] != "Pleural Effusion/right/small" {
		t.Fatalf("reports %+v", got)
	}
	if !strings.Contains(got[1].Text(), "No pneumothorax. Mild cardiomegaly") {
		t.Fatalf("text %q", got[1].Text())
	}
	if got[2].Text() != "" {
		t.Fatalf("empty report text %q", got[2].Text())
	}
}

func TestReadIUReportsRealDev(t *testing.T) {
	path := needRealData(t, "iu-xray", "indiana_reports.dev.csv")
	n, withText := 0, 0
	err := ReadIUReports(context.Background(), path, func(r IUReport) error {
		n++
		if r.Text() != "" {
			withText++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 1000 || withText < n*9/10 {
		t.Fatalf("%d reports, %d with text", n, withText)
	}
	t.Logf("%d reports, %d with text", n, withText)
}
