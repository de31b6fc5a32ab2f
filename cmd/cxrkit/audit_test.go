package main

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/infer/fakevllm"
)

const nihImage = "../../testdata/nih/images/00000001_000.png"

func grounding(fakevllm.Request) string {
	return `[{"label": "cardiomegaly", "box_2d": [0.45, 0.3, 0.8, 0.75]}, {"label": "pleural_effusion", "box_2d": [0.6, 0.05, 0.85, 0.35]}]`
}

func TestAuditSingleCommand(t *testing.T) {
	if _, err := os.Stat(nihImage); err != nil {
		t.Skip(err)
	}
	s := fakevllm.New(fakevllm.Options{Responder: grounding})
	defer s.Close()
	code, out, stderr := runCLI(t, "audit", "--endpoint", s.APIURL(), "--model", "fake/medgemma-cxr", "--no-cache",
		"--image", nihImage, "--draft", "Mild cardiomegaly. No pleural effusion or pneumothorax.")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var r cxrkit.Result
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if r.Parse.Grounding != "ok" || len(r.Audit.MissingFindings) != 1 || r.Audit.MissingFindings[0] != "pleural_effusion" || !strings.Contains(r.Disclaimer, "not a medical device") {
		t.Fatalf("result %+v", r)
	}
	// The 1024-pixel image was scaled to 896 before sending.
	if u := s.Requests()[0].Messages[0].ImageURL(); !strings.HasPrefix(u, "data:image/png;base64,") {
		t.Fatalf("image url %.40s", u)
	}
}

func TestAuditGoldBatchCommand(t *testing.T) {
	dir := t.TempDir()
	cases := filepath.Join(dir, "cases.jsonl")
	if code, _, stderr := runCLI(t, "synth", "--corpus", "../../synth/testdata/corpus.jsonl", "--out", cases); code != exitOK {
		t.Fatal(stderr)
	}
	out := filepath.Join(dir, "results.jsonl")
	code, _, stderr := runCLI(t, "audit", "--grounding", "gold", "--corpus", "../../synth/testdata/corpus.jsonl", "--cases", cases, "--out", out)
	if code != exitOK || !strings.Contains(stderr, "gold 24") || !strings.Contains(stderr, "errors 0") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	// Rerun: everything already done.
	code, _, stderr = runCLI(t, "audit", "--grounding", "gold", "--corpus", "../../synth/testdata/corpus.jsonl", "--cases", cases, "--out", out)
	if code != exitOK || !strings.Contains(stderr, "(24 already done), 0 audited") {
		t.Fatalf("rerun: %s", stderr)
	}
}

func TestAuditBatchFileCommands(t *testing.T) {
	if _, err := os.Stat(nihImage); err != nil {
		t.Skip(err)
	}
	dir := t.TempDir()
	cases := filepath.Join(dir, "cases.jsonl")
	abs, _ := filepath.Abs(nihImage)
	var lines []string
	for i, d := range []string{"Cardiomegaly.", "No acute cardiopulmonary abnormality.", "Small left pleural effusion."} {
		c, _ := json.Marshal(cxrkit.Case{CaseID: "c" + string(rune('0'+i)), ImageID: "00000001_000", Source: "nih", DraftText: d, ImagePath: abs})
		lines = append(lines, string(c))
	}
	os.WriteFile(cases, []byte(strings.Join(lines, "\n")+"\n"), 0o644)
	batch, batchOut, results := filepath.Join(dir, "b.jsonl"), filepath.Join(dir, "bo.jsonl"), filepath.Join(dir, "r.jsonl")
	common := []string{"--model", "fake/medgemma-cxr", "--cases", cases}
	code, _, stderr := runCLI(t, append([]string{"audit", "--emit-batch", batch}, common...)...)
	if code != exitOK || !strings.Contains(stderr, "1 distinct grounding requests") {
		t.Fatalf("emit: exit %d %s", code, stderr)
	}
	if err := fakevllm.RunBatch(batch, batchOut, "fake/medgemma-cxr", grounding); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.jsonl")
	os.WriteFile(bad, []byte(`{"case_id":"x","image_id":"gone","draft_text":"d","image_path":"gone.png"}`+"\n"), 0o644)
	if code, _, stderr := runCLI(t, "audit", "--emit-batch", filepath.Join(dir, "b2.jsonl"), "--model", "m", "--cases", bad); code != exitFailure || !strings.Contains(stderr, "could not become requests") {
		t.Fatalf("emit with a missing image: exit %d %s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "b2.jsonl")); !os.IsNotExist(err) {
		t.Errorf("a failed emit left a batch file (stat err %v)", err)
	}
	code, _, stderr = runCLI(t, append([]string{"audit", "--ingest-batch", batchOut, "--out", results}, common...)...)
	if code != exitOK || !strings.Contains(stderr, "ok 3") {
		t.Fatalf("ingest: exit %d %s", code, stderr)
	}
	got, _ := cxrkit.LoadJSONL[cxrkit.Result](results)
	if len(got) != 3 {
		t.Fatalf("%d results", len(got))
	}
}

func TestAuditUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"audit"},
		{"audit", "--image", "x.png"},
		{"audit", "--cases", "c.jsonl"},
		{"audit", "--image", "x.png", "--draft", "d", "--cases", "c.jsonl"},
		{"audit", "--image", "x.png", "--draft", "d", "--model", "m"},
		{"audit", "--cases", "c.jsonl", "--out", "r.jsonl", "--grounding", "gold"},
		{"audit", "--image", "x.png", "--draft", "d", "--endpoint", "gpu:8000", "--model", "m", "--no-cache"},
		{"audit", "--image", "x.png", "--draft", "d", "--endpoint", "http://x/v1", "--model", "m", "--uncertain-as", "maybe", "--no-cache"},
		{"audit", "--image", "x.png", "--draft", "d", "--endpoint", "http://x/v1", "--model", "m", "--draft-parser", "llm", "--no-cache"},
	} {
		if code, _, stderr := runCLI(t, args...); code != exitUsage {
			t.Errorf("%v: exit %d (%s), want %d", args, code, stderr, exitUsage)
		}
	}
}

func TestGroundingFlagErrors(t *testing.T) {
	// Inputs that exist, so that the flag is what is wrong.
	dir := t.TempDir()
	cases, corpus := filepath.Join(dir, "c.jsonl"), filepath.Join(dir, "corpus.jsonl")
	os.WriteFile(cases, []byte("{}\n"), 0o644)
	os.WriteFile(corpus, []byte("{}\n"), 0o644)
	for _, args := range [][]string{
		{"audit", "--cases", cases, "--out", filepath.Join(dir, "r.jsonl"), "--grounding", "gold"},
		{"audit", "--cases", cases, "--out", filepath.Join(dir, "r.jsonl"), "--grounding", "silver"},
		{"serve", "--grounding", "gold"},
		{"serve", "--grounding", "silver", "--corpus", corpus},
	} {
		code, _, stderr := runCLI(t, args...)
		if code != exitUsage || !strings.Contains(stderr, "--grounding") {
			t.Errorf("%v: exit %d (%s), want %d naming --grounding", args, code, stderr, exitUsage)
		}
	}
}

// TestAuditExitCodes: a batch whose cases fail exits 3 (partial) with the
// failures grouped by reason; a second process on the same --out refuses.
func TestAuditExitCodes(t *testing.T) {
	if _, err := os.Stat(nihImage); err != nil {
		t.Skip(err)
	}
	dir := t.TempDir()
	cases := filepath.Join(dir, "cases.jsonl")
	abs, _ := filepath.Abs(nihImage)
	var lines []string
	for i := range 24 {
		c, _ := json.Marshal(cxrkit.Case{CaseID: fmt.Sprint("c", i), ImageID: "00000001_000", Source: "nih", DraftText: "Cardiomegaly.", ImagePath: abs})
		lines = append(lines, string(c))
	}
	os.WriteFile(cases, []byte(strings.Join(lines, "\n")+"\n"), 0o644)
	s := fakevllm.New(fakevllm.Options{Fail: 500})
	defer s.Close()
	out := filepath.Join(dir, "results.jsonl")
	code, _, stderr := runCLI(t, "audit", "--endpoint", s.APIURL(), "--model", "fake/medgemma-cxr", "--no-cache", "--retries", "0",
		"--cases", cases, "--out", out)
	want := "24 errors: HTTP 500 from " + s.APIURL() + " (24)"
	if code != exitPartial || !strings.Contains(stderr, want) || strings.Count(stderr, "HTTP 500") > 3 {
		t.Fatalf("exit %d, want %d and %q:\n%s", code, exitPartial, want, stderr)
	}
}

func TestExportSkipMissingIsPartial(t *testing.T) {
	if _, err := os.Stat(nihImage); err != nil {
		t.Skip(err)
	}
	dir := t.TempDir()
	abs, _ := filepath.Abs(nihImage)
	corpus := filepath.Join(dir, "c.jsonl")
	os.WriteFile(corpus, []byte(`{"image_id":"a","source":"nih","split":"train","image_path":"`+abs+`","findings":[{"label":"no_finding","box_2d":null}]}
{"image_id":"b","source":"nih","split":"train","image_path":"gone.png","findings":[{"label":"no_finding","box_2d":null}]}
{"image_id":"c","source":"nih","split":"train","findings":[{"label":"no_finding","box_2d":null}]}
`), 0o644)
	out := filepath.Join(dir, "ds")
	code, _, stderr := runCLI(t, "export", "--corpus", corpus, "--out", out)
	if code != exitFailure || strings.Contains(stderr, "card") || strings.Count(stderr, "\n") != 1 {
		t.Fatalf("missing images: exit %d:\n%s", code, stderr)
	}
	code, _, stderr = runCLI(t, "export", "--corpus", corpus, "--out", out, "--skip-missing")
	if code != exitPartial || !strings.Contains(stderr, "2 images skipped") || !strings.Contains(stderr, "file not found (1)") {
		t.Fatalf("skip-missing: exit %d:\n%s", code, stderr)
	}
	os.MkdirAll(filepath.Join(dir, "mine"), 0o755)
	os.WriteFile(filepath.Join(dir, "mine", "README.md"), []byte("# mine\n"), 0o644)
	code, _, stderr = runCLI(t, "export", "--corpus", corpus, "--out", filepath.Join(dir, "mine"), "--skip-missing")
	if code != exitUsage || !strings.Contains(stderr, "--force") {
		t.Fatalf("foreign folder: exit %d:\n%s", code, stderr)
	}
}

// TestAuditDeadEndpointFailsFast: a refused port or a model the server
// does not serve fails before the first case, in seconds, exit 1.
func TestAuditDeadEndpointFailsFast(t *testing.T) {
	dir := t.TempDir()
	cases := filepath.Join(dir, "cases.jsonl")
	if code, _, stderr := runCLI(t, "synth", "--corpus", "../../synth/testdata/corpus.jsonl", "--out", cases); code != exitOK {
		t.Fatal(stderr)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String() + "/v1"
	ln.Close()
	s := fakevllm.New(fakevllm.Options{})
	defer s.Close()
	out := filepath.Join(dir, "results.jsonl")
	for _, tt := range []struct{ endpoint, model, want string }{
		{dead, "fake/medgemma-cxr", "connection refused to " + dead},
		{s.APIURL(), "medgemma", `does not serve model "medgemma"`},
	} {
		start := time.Now()
		code, _, stderr := runCLI(t, "audit", "--endpoint", tt.endpoint, "--model", tt.model, "--no-cache",
			"--corpus", "../../synth/testdata/corpus.jsonl", "--cases", cases, "--out", out)
		if code != exitFailure || !strings.Contains(stderr, tt.want) || time.Since(start) > 5*time.Second {
			t.Errorf("%s: exit %d after %v: %s", tt.endpoint, code, time.Since(start), stderr)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("%s: failed preflight wrote %s", tt.endpoint, out)
		}
	}
	if s.Calls() != 0 {
		t.Errorf("%d chat calls after a failed preflight", s.Calls())
	}
}

// TestClosedSetFlagErrors: a value outside a flag's closed set is a usage
// error naming the flag and the allowed values, found when the flags are
// read (before the auditor is built or an endpoint is called). Every
// closed-set flag's message has the one shape
// `--flag "value": want a, b or c`.
func TestClosedSetFlagErrors(t *testing.T) {
	dir := t.TempDir()
	cases := filepath.Join(dir, "c.jsonl")
	os.WriteFile(cases, []byte("{}\n"), 0o644)
	common := []string{"audit", "--cases", cases, "--out", filepath.Join(dir, "r.jsonl"), "--endpoint", "http://127.0.0.1:9/v1", "--model", "m", "--no-preflight"}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--box-scale", "inch"}, `--box-scale "inch": want auto, unit, 1000 or pixel`},
		{[]string{"--emit-batch", filepath.Join(dir, "b.jsonl"), "--batch-images", "url"}, `--batch-images "url": want base64 or file`},
		{[]string{"--batch-images", "url"}, `--batch-images "url": want base64 or file`},
		{[]string{"--uncertain-as", "maybe"}, `--uncertain-as "maybe": want present or absent`},
		{[]string{"--draft-parser", "regex"}, `--draft-parser "regex": want rules or llm`},
		{[]string{"--grounding", "golden"}, `--grounding "golden": want model or gold`},
	} {
		code, _, stderr := runCLI(t, append(slices.Clone(common), c.args...)...)
		if code != exitUsage {
			t.Errorf("%v: exit %d (%s), want %d", c.args, code, stderr, exitUsage)
		}
		if !strings.Contains(stderr, c.want) {
			t.Errorf("%v: %q does not read %s", c.args, stderr, c.want)
		}
	}
}
