package sftexport

import (
	"bytes"
	"strings"
	"testing"

	"github.com/cxrkit/cxrkit"
)

func TestSummaryTextIsOrdered(t *testing.T) {
	s := &Summary{Out: "ds", Rows: map[Task]map[cxrkit.Split]int{
		TaskDraftParse: {"validation": 4, "train": 30},
		TaskGrounding:  {"test": 1, "validation": 2, "train": 9},
	}, Skipped: []string{"a.png"}, SkipReasons: cxrkit.Reasons{"file not found": 1}, Verified: &VerifyReport{Shards: 3, Rows: 46, ImagesDecoded: 12}}
	if h := s.Headline(); h != "grounding 12 rows, draft_parse 34 rows; 1 images skipped: file not found (1); verified with Arrow: 3 shards, 12 images decoded" {
		t.Errorf("headline %q", h)
	}
	for range 20 { // map order varies from run to run; the text must not
		var b bytes.Buffer
		if err := s.WriteText(&b); err != nil {
			t.Fatal(err)
		}
		var rows []string
		for _, line := range strings.Split(b.String(), "\n") {
			if f := strings.Fields(line); len(f) == 4 && f[3] == "rows" {
				rows = append(rows, f[0]+"/"+f[1])
			}
		}
		want := "grounding/train grounding/validation grounding/test draft_parse/train draft_parse/validation"
		if got := strings.Join(rows, " "); got != want {
			t.Fatalf("rows %q, want %q", got, want)
		}
		if !strings.Contains(b.String(), cxrkit.Disclaimer) || !strings.Contains(b.String(), "verified with Arrow: 3 shards, 46 rows") {
			t.Fatalf("text:\n%s", b.String())
		}
	}
}
