package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cxrkit/cxrkit"
)

func fileSHA256(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// TestEvalReportsRecordProvenance: the JSON, Markdown and HTML reports of
// every eval mode record the cxrkit version, the command line, each input
// with its sha256 and row count, the split, the seed and the date, beside
// the disclaimer.
func TestEvalReportsRecordProvenance(t *testing.T) {
	dir := t.TempDir()
	corpus := "../../synth/testdata/corpus.jsonl"
	cases, results := filepath.Join(dir, "cases.jsonl"), filepath.Join(dir, "results.jsonl")
	runCLI(t, "synth", "--corpus", corpus, "--out", cases)
	if code, _, stderr := runCLI(t, "audit", "--grounding", "gold", "--corpus", corpus, "--cases", cases, "--out", results); code != exitOK {
		t.Fatal(stderr)
	}
	rows := func(path string) int {
		data, _ := os.ReadFile(path)
		return strings.Count(strings.TrimSpace(string(data)), "\n") + 1
	}
	type input struct {
		flag, path string
	}
	tests := []struct {
		name   string
		args   []string
		inputs []input
		splits string
		seed   int64
	}{
		{"image", []string{"--gold", corpus, "--pred", results, "--bootstrap", "10", "--seed", "7", "--split", "train"},
			[]input{{"gold", corpus}, {"pred", results}}, "train", 7},
		{"compare", []string{"--gold", corpus, "--pred", results, "--pred-b", results, "--bootstrap", "10", "--seed", "3"},
			[]input{{"gold", corpus}, {"pred", results}, {"pred-b", results}}, "all", 3},
		{"audit", []string{"--cases", cases, "--pred", results, "--seed", "11"},
			[]input{{"cases", cases}, {"pred", results}}, "all", 11},
	}
	for _, tt := range tests {
		base := filepath.Join(dir, tt.name)
		args := append([]string{"eval"}, tt.args...)
		args = append(args, "--out", base+".json", "--markdown", base+".md", "--html", base+".html", "--title", "it's mine")
		before := time.Now().UTC().Truncate(time.Second)
		if code, _, stderr := runCLI(t, args...); code != exitOK {
			t.Fatalf("%s: exit %d: %s", tt.name, code, stderr)
		}
		var rep struct {
			Provenance *cxrkit.Provenance `json:"provenance"`
			Disclaimer string             `json:"disclaimer"`
		}
		data, _ := os.ReadFile(base + ".json")
		if err := json.Unmarshal(data, &rep); err != nil || rep.Provenance == nil {
			t.Fatalf("%s: no provenance in %s (%v)", tt.name, data, err)
		}
		p := rep.Provenance
		wantCmd := append([]string{"cxrkit"}, args...)
		if strings.Join(p.Command, "\x00") != strings.Join(wantCmd, "\x00") {
			t.Errorf("%s: command %q, want %q", tt.name, p.Command, wantCmd)
		}
		if p.Version != cxrkit.VersionString() || p.Seed != tt.seed || p.SplitsText() != tt.splits || p.Date.Before(before) || time.Since(p.Date) > time.Minute {
			t.Errorf("%s: provenance %+v", tt.name, p)
		}
		if len(p.Inputs) != len(tt.inputs) {
			t.Fatalf("%s: inputs %+v", tt.name, p.Inputs)
		}
		for i, in := range tt.inputs {
			got := p.Inputs[i]
			if got.Flag != in.flag || got.Path != in.path || got.SHA256 != fileSHA256(t, in.path) || got.Rows != rows(in.path) {
				t.Errorf("%s: input %+v, want %s %s sha256 %s rows %d", tt.name, got, in.flag, in.path, fileSHA256(t, in.path), rows(in.path))
			}
		}
		for _, ext := range []string{".json", ".md", ".html"} {
			data, _ := os.ReadFile(base + ext)
			s := string(data)
			// The renderings escape differently; the facts are the same.
			s = strings.NewReplacer("&#39;", "'", "&#34;", `"`, "&quot;", `"`, `\u0026`, "&").Replace(s)
			want := []string{cxrkit.Disclaimer, p.Version, "eval", "--seed", p.Date.Format(time.RFC3339), strconv.FormatInt(tt.seed, 10), tt.splits}
			if ext != ".json" {
				want = append(want, p.CommandLine())
			}
			for _, in := range tt.inputs {
				want = append(want, in.path, fileSHA256(t, in.path), strconv.Itoa(rows(in.path)))
			}
			for _, w := range want {
				if !strings.Contains(s, w) {
					t.Errorf("%s%s lacks %q", tt.name, ext, w)
				}
			}
		}
	}
}

// TestParserReportRecordsProvenance: eval --iu-reports records its input
// (rows: every report read, scored or skipped) in JSON and Markdown.
func TestParserReportRecordsProvenance(t *testing.T) {
	dir := t.TempDir()
	iu := "../../dataset/testdata/iu_reports.csv"
	out, md := filepath.Join(dir, "r.json"), filepath.Join(dir, "r.md")
	rules := "../../configs/draft_rules.yaml"
	if code, _, stderr := runCLI(t, "eval", "--iu-reports", iu, "--draft-rules", rules, "--out", out, "--markdown", md); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep struct {
		Provenance *cxrkit.Provenance `json:"provenance"`
	}
	data, _ := os.ReadFile(out)
	if err := json.Unmarshal(data, &rep); err != nil || rep.Provenance == nil || len(rep.Provenance.Inputs) != 2 {
		t.Fatalf("provenance in %s (%v)", data, err)
	}
	in := rep.Provenance.Inputs[0]
	if in.Flag != "iu-reports" || in.Path != iu || in.SHA256 != fileSHA256(t, iu) || in.Rows != 3 {
		t.Errorf("input %+v: want %s, its sha256, 3 rows (2 scored, 1 skipped)", in, iu)
	}
	if r := rep.Provenance.Inputs[1]; r.Flag != "draft-rules" || r.Path != rules || r.SHA256 != fileSHA256(t, rules) {
		t.Errorf("rules input %+v: want %s with its sha256", r, rules)
	}
	text, _ := os.ReadFile(md)
	for _, w := range []string{rep.Provenance.CommandLine(), in.SHA256, rep.Provenance.Version, cxrkit.Disclaimer} {
		if !strings.Contains(string(text), w) {
			t.Errorf("markdown lacks %q", w)
		}
	}
}

// TestImageReportRecordsLabelmap: a --labelmap override, which sets the
// urgent labels, is an input of an image-mode report.
func TestImageReportRecordsLabelmap(t *testing.T) {
	dir := t.TempDir()
	corpus := "../../synth/testdata/corpus.jsonl"
	lm := "../../configs/labelmap.yaml"
	cases, results := filepath.Join(dir, "cases.jsonl"), filepath.Join(dir, "results.jsonl")
	runCLI(t, "synth", "--corpus", corpus, "--out", cases)
	if code, _, stderr := runCLI(t, "audit", "--grounding", "gold", "--corpus", corpus, "--cases", cases, "--out", results); code != exitOK {
		t.Fatal(stderr)
	}
	out := filepath.Join(dir, "r.json")
	if code, _, stderr := runCLI(t, "eval", "--gold", corpus, "--pred", results, "--bootstrap", "0", "--labelmap", lm, "--out", out); code != exitOK {
		t.Fatal(stderr)
	}
	var rep struct {
		Provenance *cxrkit.Provenance `json:"provenance"`
	}
	data, _ := os.ReadFile(out)
	if err := json.Unmarshal(data, &rep); err != nil || rep.Provenance == nil {
		t.Fatalf("%s (%v)", data, err)
	}
	for _, in := range rep.Provenance.Inputs {
		if in.Flag == "labelmap" && in.Path == lm && in.SHA256 == fileSHA256(t, lm) {
			return
		}
	}
	t.Errorf("inputs %+v lack --labelmap %s", rep.Provenance.Inputs, lm)
}

// TestEvalProvenanceCountsSupersededLines: a results file where a failed
// line was retried reports every line read and the superseded one as
// dropped, so rows read = rows used + rows dropped. Before, the rows
// were the results left after the superseded line vanished.
func TestEvalProvenanceCountsSupersededLines(t *testing.T) {
	dir := t.TempDir()
	corpus := "../../synth/testdata/corpus.jsonl"
	cases, results := filepath.Join(dir, "cases.jsonl"), filepath.Join(dir, "results.jsonl")
	runCLI(t, "synth", "--corpus", corpus, "--out", cases)
	if code, _, stderr := runCLI(t, "audit", "--grounding", "gold", "--corpus", corpus, "--cases", cases, "--out", results); code != exitOK {
		t.Fatal(stderr)
	}
	data, err := os.ReadFile(results)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	// The first case failed once before the line that stands.
	var first map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	first["error"] = "timeout"
	first["audit"] = nil
	failed, _ := json.Marshal(first)
	os.WriteFile(results, []byte(string(failed)+"\n"+strings.Join(lines, "\n")+"\n"), 0o644)

	base := filepath.Join(dir, "audit")
	if code, _, stderr := runCLI(t, "eval", "--cases", cases, "--pred", results, "--out", base+".json", "--markdown", base+".md"); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep struct {
		Provenance *cxrkit.Provenance `json:"provenance"`
	}
	data, _ = os.ReadFile(base + ".json")
	if err := json.Unmarshal(data, &rep); err != nil || rep.Provenance == nil {
		t.Fatalf("no provenance (%v)", err)
	}
	var pred *cxrkit.InputFile
	for i := range rep.Provenance.Inputs {
		if rep.Provenance.Inputs[i].Flag == "pred" {
			pred = &rep.Provenance.Inputs[i]
		}
	}
	read := len(lines) + 1
	if pred == nil || pred.Rows != read || pred.Dropped["superseded by a retry"] != 1 || pred.RowsUsed() != len(lines) {
		t.Fatalf("pred input %+v, want %d rows read, 1 superseded, %d used", pred, read, len(lines))
	}
	md, _ := os.ReadFile(base + ".md")
	if want := fmt.Sprintf("%d read, %d used (1 superseded by a retry)", read, len(lines)); !strings.Contains(string(md), want) {
		t.Errorf("markdown lacks %q", want)
	}
}
