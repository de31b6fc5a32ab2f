package synth

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/labelmap"
)

// Options configure case generation.
type Options struct {
	Seed      int64             `yaml:"seed"`
	CaseTypes []cxrkit.CaseType `yaml:"cases"`  // nil: all
	Splits    []cxrkit.Split    `yaml:"splits"` // nil: all
	// Phrases is the phrase bank file read when Bank is nil ("" for the
	// embedded configs/phrases.yaml).
	Phrases string               `yaml:"phrases"`
	Vocab   *labelmap.Vocabulary `yaml:"-"`
	Bank    *PhraseBank          `yaml:"-"`
	// Progress, when set, hears how much of the corpus file GenerateFile
	// has read (bytes of total).
	Progress func(stage string, done, total int) `yaml:"-"`
}

// Summary counts what Generate wrote and skipped.
type Summary struct {
	Records        int                                `json:"records"`
	RecordsInSplit int                                `json:"records_in_split"`
	Cases          map[cxrkit.CaseType]int            `json:"cases"`
	Skipped        map[cxrkit.CaseType]map[string]int `json:"skipped"`
	Total          int                                `json:"total_cases"`
	DistinctDrafts int                                `json:"distinct_drafts"`
	Disclaimer     string                             `json:"disclaimer"`
}

// Generator turns corpus records into audit cases.
type Generator struct {
	seed   int64
	types  []cxrkit.CaseType
	splits []cxrkit.Split
	bank   *PhraseBank
	urgent []labelmap.Label
	// progress is Options.Progress.
	progress func(stage string, done, total int)
	// rebase rewrites a corpus image path for the cases file.
	rebase func(string) string
}

// Defaults returns the synth defaults, the one place they are written:
// every case type, every split, the embedded phrase bank.
func Defaults() Options { return Options{CaseTypes: cxrkit.CaseTypes()} }

// NewGenerator validates options and loads defaults.
func NewGenerator(o Options) (*Generator, error) {
	types, err := caseTypesInOrder(o.CaseTypes)
	if err != nil {
		return nil, err
	}
	if o.Vocab == nil {
		if o.Vocab, err = labelmap.Default(); err != nil {
			return nil, err
		}
	}
	if o.Bank == nil {
		if o.Bank, err = LoadPhraseBank(o.Phrases); err != nil {
			return nil, err
		}
	}
	return &Generator{seed: o.Seed, types: types, splits: o.Splits, bank: o.Bank, urgent: o.Vocab.Urgent(), progress: o.Progress}, nil
}

// caseTypesInOrder validates the requested case types and returns them in
// output order, each once; none means all.
func caseTypesInOrder(want []cxrkit.CaseType) ([]cxrkit.CaseType, error) {
	if len(want) == 0 {
		return cxrkit.CaseTypes(), nil
	}
	for _, t := range want {
		if !t.Valid() {
			_, err := cxrkit.ParseCaseType(string(t))
			return nil, err
		}
	}
	var out []cxrkit.CaseType
	for _, t := range cxrkit.CaseTypes() {
		if slices.Contains(want, t) {
			out = append(out, t)
		}
	}
	return out, nil
}

// Cases returns the cases of one record in case-type order, and the reason
// each skipped type could not be built.
func (g *Generator) Cases(rec *cxrkit.Record) ([]cxrkit.Case, map[cxrkit.CaseType]string) {
	var out []cxrkit.Case
	skipped := map[cxrkit.CaseType]string{}
	for _, t := range g.types {
		c, why := g.makeCase(rec, t)
		if c == nil {
			skipped[t] = why
			continue
		}
		out = append(out, *c)
	}
	return out, skipped
}

// Generate streams corpus records from r and writes their cases to w as
// JSONL, in corpus order then case-type order.
func (g *Generator) Generate(ctx context.Context, r io.Reader, name string, w io.Writer) (Summary, error) {
	s := Summary{Cases: map[cxrkit.CaseType]int{}, Skipped: map[cxrkit.CaseType]map[string]int{}, Disclaimer: cxrkit.Disclaimer}
	enc := cxrkit.NewJSONLEncoder(w)
	drafts := map[string]struct{}{}
	err := cxrkit.ReadJSONL(r, name, func(line int, rec *cxrkit.Record) error {
		s.Records++
		if s.Records%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if len(g.splits) > 0 && !slices.Contains(g.splits, rec.Split) {
			return nil
		}
		if rec.ImageID == "" || rec.Source == "" {
			return fmt.Errorf("corpus record without image_id or source")
		}
		s.RecordsInSplit++
		cases, skipped := g.Cases(rec)
		for i := range cases {
			if g.rebase != nil && cases[i].ImagePath != "" {
				cases[i].ImagePath = g.rebase(cases[i].ImagePath)
			}
			if err := enc.Encode(&cases[i]); err != nil {
				return err
			}
			s.Cases[cases[i].CaseType]++
			drafts[cases[i].DraftText] = struct{}{}
		}
		for t, why := range skipped {
			if s.Skipped[t] == nil {
				s.Skipped[t] = map[string]int{}
			}
			s.Skipped[t][why]++
		}
		return nil
	})
	for _, n := range s.Cases {
		s.Total += n
	}
	s.DistinctDrafts = len(drafts)
	return s, err
}

// GenerateFile reads a corpus file and writes the cases file atomically.
// Image paths are rewritten to stay valid from the cases file's folder.
func (g *Generator) GenerateFile(ctx context.Context, corpusPath, outPath string) (Summary, error) {
	g.rebase = func(p string) string {
		return cxrkit.RelativePath(filepath.Dir(outPath), cxrkit.ResolvePath(filepath.Dir(corpusPath), p))
	}
	in, err := os.Open(corpusPath)
	if err != nil {
		return Summary{}, err
	}
	defer in.Close()
	var src io.Reader = in
	if g.progress != nil {
		if st, err := in.Stat(); err == nil && st.Size() > 0 {
			src = &progressReader{r: in, total: st.Size(), report: g.progress}
		}
	}
	var s Summary
	err = cxrkit.WriteFileAtomic(outPath, func(w *bufio.Writer) error {
		var gerr error
		s, gerr = g.Generate(ctx, src, corpusPath, w)
		return gerr
	})
	return s, err
}

// progressReader reports the share of a file read, in steps of about a
// percent.
type progressReader struct {
	r            io.Reader
	done, total  int64
	lastReported int64
	report       func(stage string, done, total int)
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.done += int64(n)
	if p.done-p.lastReported >= p.total/100 || errors.Is(err, io.EOF) {
		p.lastReported = p.done
		// Reported in KiB so the counts fit an int on any platform.
		p.report("synthesizing", int(p.done>>10), int(p.total>>10))
	}
	return n, err
}

// String is a short human summary.
func (s Summary) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "cxrkit synth: %d cases from %d records (%d distinct drafts)\n", s.Total, s.RecordsInSplit, s.DistinctDrafts)
	for _, t := range cxrkit.CaseTypes() {
		n, sk := s.Cases[t], s.Skipped[t]
		if n == 0 && len(sk) == 0 {
			continue
		}
		fmt.Fprintf(&b, "  %-17s %7d", t, n)
		for _, why := range slices.Sorted(maps.Keys(sk)) {
			fmt.Fprintf(&b, "   skipped %d: %s", sk[why], why)
		}
		b.WriteByte('\n')
	}
	fmt.Fprintf(&b, "  %s\n", s.Disclaimer)
	return b.String()
}
