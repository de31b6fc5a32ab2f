package audit

import (
	"os"
	"strings"
	"testing"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/labelmap"
	"gopkg.in/yaml.v3"
)

// notAsserted is the suite's name for a label named but not claimed.
const notAsserted = "not_asserted"

type phenomenonCase struct {
	Text string     `yaml:"text"`
	Want [][]string `yaml:"want"`
	Gap  bool       `yaml:"gap"`
}

type phenomenonGroup struct {
	Phenomenon string           `yaml:"phenomenon"`
	Cases      []phenomenonCase `yaml:"cases"`
}

// TestPhenomena runs the phenomenon suite (testdata/phenomena.yaml): every
// case must decide exactly its listed labels, with the listed status, and a
// span containing the listed words.
func TestPhenomena(t *testing.T) {
	data, err := os.ReadFile("testdata/phenomena.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var groups []phenomenonGroup
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&groups); err != nil {
		t.Fatal(err)
	}
	p := rulesParser(t)
	total, passed, gaps := 0, 0, 0
	for _, g := range groups {
		for _, c := range g.Cases {
			total++
			problems := phenomenonProblems(t, p, c)
			switch {
			case c.Gap && len(problems) == 0:
				t.Errorf("%s: %q is marked as a gap but passes: promote it", g.Phenomenon, c.Text)
			case c.Gap:
				gaps++
				t.Logf("known gap (%s): %q: %s", g.Phenomenon, c.Text, strings.Join(problems, "; "))
			case len(problems) > 0:
				t.Errorf("%s: %q: %s", g.Phenomenon, c.Text, strings.Join(problems, "; "))
			default:
				passed++
			}
		}
	}
	if total < 300 {
		t.Errorf("the suite has %d sentences, want at least 300", total)
	}
	t.Logf("phenomenon suite: %d sentences in %d groups, %d pass, %d known gaps", total, len(groups), passed, gaps)
}

// phenomenonProblems compares the parser's decisions with a case's.
func phenomenonProblems(t *testing.T, p *RulesParser, c phenomenonCase) []string {
	t.Helper()
	got := map[labelmap.Label]Decision{}
	for _, d := range p.Explain(c.Text) {
		got[d.Label] = d
	}
	var problems []string
	for _, w := range c.Want {
		if len(w) != 3 {
			t.Fatalf("%q: want entries are [label, status, span-words], got %v", c.Text, w)
		}
		l, status, words := labelmap.Label(w[0]), w[1], w[2]
		if !l.Valid() || status != notAsserted && !cxrkit.Status(status).Valid() {
			t.Fatalf("%q: bad expectation %v", c.Text, w)
		}
		d, ok := got[l]
		delete(got, l)
		gotStatus := string(d.Status)
		if ok && d.Status == "" {
			gotStatus = notAsserted
		}
		switch {
		case !ok:
			problems = append(problems, string(l)+" missing")
		case gotStatus != status:
			problems = append(problems, string(l)+" "+gotStatus+" (rule "+d.Rule+"), want "+status)
		case !strings.Contains(strings.ToLower(d.Span), strings.ToLower(words)):
			problems = append(problems, string(l)+" span "+`"`+d.Span+`"`+" lacks "+`"`+words+`"`)
		case !strings.Contains(c.Text, d.Span):
			problems = append(problems, string(l)+" span not verbatim")
		}
	}
	for l, d := range got {
		problems = append(problems, "unexpected "+string(l)+" "+string(d.Status)+" (rule "+d.Rule+")")
	}
	return problems
}
