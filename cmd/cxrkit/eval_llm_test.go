package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cxrkit/cxrkit/infer/fakevllm"
)

// ownIUReports are invented reports in the IU-Xray indiana_reports.csv
// layout (no IU text is copied): uid 1 asserts an effusion, uid 2 a nodule
// (its answer from the fake model is unparseable), uid 3 is normal, uid 4
// has no indexing and is skipped.
const ownIUReports = `uid,MeSH,Problems,image,indication,comparison,findings,impression
1,Pleural Effusion/right/small,Pleural Effusion,Xray Chest,cough,None.,Small right pleural effusion.,Right effusion.
2,Nodule/lung/upper lobe/left,Nodule,Xray Chest,follow-up,None.,Left upper lobe nodule.,Nodule.
3,normal,normal,Xray Chest,screening,None.,The lungs are clear.,No acute disease.
4,No Indexing,No Indexing,Xray Chest,,,,Heart size normal.
`

// TestEvalParserLLMOnIU scores the LLM draft parser on IU-format reports
// against the fake vLLM server: the model's answers are scored like the
// rules parser's, an unparseable answer is counted and scored as silent.
func TestEvalParserLLMOnIU(t *testing.T) {
	s := fakevllm.New(fakevllm.Options{Model: "fake/nemotron", Responder: func(r fakevllm.Request) string {
		prompt := strings.Join(r.Messages[len(r.Messages)-1].Texts(), " ")
		switch {
		case strings.Contains(prompt, "Small right pleural effusion"):
			return `[{"label": "pleural_effusion", "status": "present", "span": "Small right pleural effusion"}]`
		case strings.Contains(prompt, "Left upper lobe nodule"):
			return "I cannot read this draft."
		}
		return `[]`
	}})
	defer s.Close()
	dir := t.TempDir()
	csv := filepath.Join(dir, "reports.csv")
	if err := os.WriteFile(csv, []byte(ownIUReports), 0o644); err != nil {
		t.Fatal(err)
	}
	out, md := filepath.Join(dir, "llm.json"), filepath.Join(dir, "llm.md")
	code, _, stderr := runCLI(t, "eval", "--iu-reports", csv, "--draft-parser", "llm", "--draft-endpoint", s.APIURL(),
		"--draft-model", "fake/nemotron", "--retries", "0", "--out", out, "--markdown", md)
	// One reading failed: the reports are written, the exit says partial.
	if code != exitPartial || !strings.Contains(stderr, "1 of 3 readings failed") {
		t.Fatalf("exit %d, want %d (partial): %s", code, exitPartial, stderr)
	}
	var rep struct {
		Parser        string
		Items         int
		ParseFailures int `json:"parse_failures"`
		Micro         struct{ TP, FP, FN int }
		Errors        []struct{ ID, Label, Kind, Rule string }
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Parser != "llm" || rep.Items != 3 || rep.ParseFailures != 1 {
		t.Errorf("parser %q items %d failures %d, want llm 3 1", rep.Parser, rep.Items, rep.ParseFailures)
	}
	if rep.Micro.TP != 1 || rep.Micro.FP != 0 || rep.Micro.FN != 1 {
		t.Errorf("micro %+v, want tp 1 fn 1 (the unreadable nodule report)", rep.Micro)
	}
	if len(rep.Errors) != 1 || rep.Errors[0].ID != "2" || rep.Errors[0].Rule != "" {
		t.Errorf("errors %+v, want the nodule of report 2 with no rule", rep.Errors)
	}
	if n := len(s.Requests()); n != 3 {
		t.Errorf("%d model requests, want 3 (the unindexed report is skipped)", n)
	}
	mdText, _ := os.ReadFile(md)
	if !strings.Contains(string(mdText), "**parser:** llm · **unreadable:** 1") {
		t.Errorf("markdown lacks the parser line:\n%s", mdText)
	}
	for _, args := range [][]string{
		{"--draft-parser", "llm"},
		{"--draft-parser", "regex"},
	} {
		code, _, stderr := runCLI(t, append([]string{"eval", "--iu-reports", csv}, args...)...)
		if code == exitOK {
			t.Errorf("%v: exit 0, want a usage error: %s", args, stderr)
		}
	}
}

// TestEvalParserLLMRetriesZero: --retries 0 asks each report once, as it
// does for audit and serve (infer reads a bare 0 as its default).
func TestEvalParserLLMRetriesZero(t *testing.T) {
	s := fakevllm.New(fakevllm.Options{Model: "fake/nemotron", Fail: 500})
	defer s.Close()
	csv := filepath.Join(t.TempDir(), "reports.csv")
	if err := os.WriteFile(csv, []byte(ownIUReports), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCLI(t, "eval", "--iu-reports", csv, "--draft-parser", "llm", "--draft-endpoint", s.APIURL(),
		"--draft-model", "fake/nemotron", "--retries", "0", "--no-preflight")
	if code == exitOK {
		t.Fatalf("exit 0 with every reading failed: %s", stderr)
	}
	if n := s.Calls(); n != 3 {
		t.Errorf("%d chat requests for 3 reports with --retries 0, want 3", n)
	}
}

// TestEvalParserLLMPreflight: a draft model the endpoint does not serve
// fails before any report is read, unless --no-preflight.
func TestEvalParserLLMPreflight(t *testing.T) {
	s := fakevllm.New(fakevllm.Options{Model: "fake/nemotron", Responder: func(fakevllm.Request) string { return `[]` }})
	defer s.Close()
	csv := filepath.Join(t.TempDir(), "reports.csv")
	if err := os.WriteFile(csv, []byte(ownIUReports), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCLI(t, "eval", "--iu-reports", csv, "--draft-parser", "llm", "--draft-endpoint", s.APIURL(),
		"--draft-model", "fake/misspelt", "--retries", "0")
	if code == exitOK || s.Calls() != 0 {
		t.Fatalf("exit %d after %d chat requests, want a preflight failure before any: %s", code, s.Calls(), stderr)
	}
}
