package dataset

import (
	"context"
	"fmt"
	"strings"

	"github.com/cxrkit/cxrkit/labelmap"
)

// IUReport is one IU-Xray / Open-i report: real report text, never a box
// source. MeSH holds the annotators' terms of the report.
type IUReport struct {
	UID        string
	MeSH       []string // ";"-separated terms, each possibly with "/" qualifiers
	Problems   []string
	Findings   string
	Impression string
	Line       int
}

// Text is the findings and impression, the part of a report a draft
// parser reads. They are two sections, so a findings section without a
// closing full stop still ends its sentence: otherwise a negation at its
// end ("No effusion or") would run on into the impression.
func (r IUReport) Text() string {
	findings, impression := strings.TrimSpace(r.Findings), strings.TrimSpace(r.Impression)
	switch {
	case findings == "":
		return impression
	case impression == "":
		return findings
	case strings.ContainsRune(".!?;:", rune(findings[len(findings)-1])):
		return findings + " " + impression
	default:
		return findings + ". " + impression
	}
}

// ReadIUReports streams IU-Xray reports, calling fn per report: the
// indiana_reports.csv of the Kaggle release (`uid,MeSH,Problems,image,
// indication,comparison,findings,impression`) or the Open-i parquet of
// the Hugging Face mirror ykumards/open-i (the same columns plus image
// columns, which are not read), told apart by the file's first bytes.
func ReadIUReports(ctx context.Context, path string, fn func(IUReport) error) error {
	pq, err := isParquet(path)
	if err != nil {
		return err
	}
	if pq {
		return readIUParquet(ctx, path, fn)
	}
	t, err := openCSV(path)
	if err != nil {
		return err
	}
	defer t.Close()
	uid, mesh, problems := t.col("uid"), t.col("mesh"), t.col("problems")
	findings, impression := t.col("findings"), t.col("impression")
	if uid < 0 || mesh < 0 || findings < 0 || impression < 0 {
		return fmt.Errorf("%s:1: %w; got %v", path, errNotIUReports, t.header)
	}
	return t.each(func(rec []string, line int) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		return fn(IUReport{UID: field(rec, uid), MeSH: splitTerms(field(rec, mesh)), Problems: splitTerms(field(rec, problems)),
			Findings: field(rec, findings), Impression: field(rec, impression), Line: line})
	})
}

func splitTerms(s string) []string {
	var out []string
	for _, t := range strings.Split(s, ";") {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}

// Indexed reports whether annotators indexed the report ("No Indexing"
// marks reports they skipped).
func (r IUReport) Indexed() bool {
	for _, t := range r.MeSH {
		if strings.EqualFold(strings.TrimSpace(t), "No Indexing") {
			return false
		}
	}
	return len(r.MeSH) > 0
}

// Labels maps the report's MeSH headings (the term before the first "/")
// through the iu_mesh source map: the canonical positive labels the
// annotators gave the report, in canonical order.
func (r IUReport) Labels(vocab *labelmap.Vocabulary) []labelmap.Label {
	m := vocab.Source("iu_mesh")
	var seen [labelmap.NumLabels]bool
	for _, t := range r.MeSH {
		heading, _, _ := strings.Cut(t, "/")
		if l, st := m.Lookup(heading); st == labelmap.Mapped && l.Positive() {
			seen[l.Index()] = true
		}
	}
	var out []labelmap.Label
	for _, l := range labelmap.Positives() {
		if seen[l.Index()] {
			out = append(out, l)
		}
	}
	return out
}
