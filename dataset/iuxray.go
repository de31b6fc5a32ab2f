package dataset

import (
	"errors"
	"fmt"
	"io"
	"strings"
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
// parser reads.
func (r IUReport) Text() string {
	return strings.TrimSpace(strings.TrimSpace(r.Findings) + " " + strings.TrimSpace(r.Impression))
}

// ReadIUReports streams indiana_reports.csv (`uid,MeSH,Problems,image,
// indication,comparison,findings,impression`), calling fn per report.
func ReadIUReports(path string, fn func(IUReport) error) error {
	t, err := openCSV(path)
	if err != nil {
		return err
	}
	defer t.Close()
	uid, mesh, problems := t.col("uid"), t.col("mesh"), t.col("problems")
	findings, impression := t.col("findings"), t.col("impression")
	if uid < 0 || mesh < 0 || findings < 0 || impression < 0 {
		return fmt.Errorf("%s:1: not an IU-Xray reports file: want uid, MeSH, findings, impression columns; got %v", path, t.header)
	}
	for {
		rec, line, rowErr, err := t.next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if rowErr != nil {
			return fmt.Errorf("%s:%d: %w", path, line, rowErr)
		}
		r := IUReport{UID: field(rec, uid), MeSH: splitTerms(field(rec, mesh)), Problems: splitTerms(field(rec, problems)),
			Findings: field(rec, findings), Impression: field(rec, impression), Line: line}
		if err := fn(r); err != nil {
			return fmt.Errorf("%s:%d: %w", path, line, err)
		}
	}
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
