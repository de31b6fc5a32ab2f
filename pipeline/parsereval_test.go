package pipeline

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/labelmap"
)

// TestScoreParserUncertainAs: parser evaluation scores hedges by the same
// typed closed set as the audit (UncertainAs): a hedged effusion counts
// when hedges are present, not when they are absent; "" is present (the
// zero value, as everywhere); anything else is refused naming the
// allowed values. The default is absent, the IU indexers' reading.
func TestScoreParserUncertainAs(t *testing.T) {
	// Invented reports in the IU-Xray layout: uid 1 hedges an effusion its
	// MeSH indexing lists; uid 2 is normal.
	csv := filepath.Join(t.TempDir(), "reports.csv")
	os.WriteFile(csv, []byte("uid,MeSH,Problems,image,indication,comparison,findings,impression\n"+
		"1,Pleural Effusion/right,Pleural Effusion,Xray Chest,cough,None.,Possible small right pleural effusion.,Possible effusion.\n"+
		"2,normal,normal,Xray Chest,screening,None.,The lungs are clear.,No acute disease.\n"), 0o644)
	vocab, err := labelmap.Default()
	if err != nil {
		t.Fatal(err)
	}
	if d := ParserEvalDefaults().UncertainAs; d != UncertainAbsent {
		t.Errorf("default %q, want absent", d)
	}
	for _, c := range []struct {
		as     UncertainAs
		wantTP int
	}{{"", 1}, {UncertainPresent, 1}, {UncertainAbsent, 0}} {
		o := ParserEvalDefaults()
		o.UncertainAs = c.as
		rep, _, err := ScoreParserOnIU(context.Background(), csv, vocab, o)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Micro.TP != c.wantTP {
			t.Errorf("uncertain as %q: %d true positives, want %d", c.as, rep.Micro.TP, c.wantTP)
		}
	}
	o := ParserEvalDefaults()
	o.UncertainAs = "maybe"
	if _, _, err := ScoreParserOnIU(context.Background(), csv, vocab, o); !errors.Is(err, cxrkit.ErrInvalidOptions) || !strings.Contains(err.Error(), "present or absent") {
		t.Errorf("uncertain as maybe: err %v, want ErrInvalidOptions naming present or absent", err)
	}
}
