package audit_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/audit"
	"github.com/cxrkit/cxrkit/labelmap"
	"github.com/cxrkit/cxrkit/synth"
)

// TestRulesParserReadsSynthDrafts parses every synthetic draft of the synth
// fixture (under several seeds) and checks that the audit from the parsed
// draft equals the case's expected audit.
func TestRulesParserReadsSynthDrafts(t *testing.T) {
	p, err := audit.NewRulesParser("")
	if err != nil {
		t.Fatal(err)
	}
	v, _ := labelmap.Default()
	corpus, err := os.ReadFile("../synth/testdata/corpus.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	recs := map[string]cxrkit.Record{}
	cxrkit.ReadJSONL(bytes.NewReader(corpus), "corpus", func(_ int, r *cxrkit.Record) error { recs[r.Key()] = *r; return nil })
	n := 0
	for seed := range int64(40) {
		g, _ := synth.NewGenerator(synth.Options{Seed: seed})
		var out bytes.Buffer
		if _, err := g.Generate(context.Background(), bytes.NewReader(corpus), "corpus", &out); err != nil {
			t.Fatal(err)
		}
		cxrkit.ReadJSONL(&out, "cases", func(_ int, c *cxrkit.Case) error {
			parsed := p.Parse(c.DraftText)
			got := audit.Compare(recs[string(c.Source)+":"+c.ImageID].Findings, parsed, audit.CompareOptions{Urgent: v.Urgent()})
			if fmt.Sprint(got) != fmt.Sprint(*c.ExpectedAudit) {
				t.Errorf("%s seed %d: %q parsed as %+v: audit %+v, want %+v", c.CaseID, seed, c.DraftText, parsed, got, *c.ExpectedAudit)
			}
			for _, d := range parsed {
				if !bytes.Contains([]byte(c.DraftText), []byte(d.Span)) {
					t.Errorf("span %q not in %q", d.Span, c.DraftText)
				}
			}
			n++
			return nil
		})
	}
	t.Logf("%d synthetic drafts parsed", n)
}
