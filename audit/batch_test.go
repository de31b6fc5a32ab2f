package audit_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/audit"
	"github.com/cxrkit/cxrkit/configs"
	"github.com/cxrkit/cxrkit/infer"
	"github.com/cxrkit/cxrkit/infer/fakevllm"
	"github.com/cxrkit/cxrkit/labelmap"
)

// caseImages writes n small PNGs whose first pixel encodes the case index,
// so the fake server can answer per case.
func caseImages(t testing.TB, n int) []audit.Input {
	dir := t.TempDir()
	var ins []audit.Input
	for i := range n {
		img := image.NewGray(image.Rect(0, 0, 32, 24))
		img.Pix[0], img.Pix[1] = uint8(i%256), uint8(i/256)
		path := filepath.Join(dir, fmt.Sprintf("img%04d.png", i))
		f, _ := os.Create(path)
		png.Encode(f, img)
		f.Close()
		draft := []string{"Small right pleural effusion.", "No acute cardiopulmonary abnormality.", "Cardiomegaly. No pneumothorax."}[i%3]
		ins = append(ins, audit.Input{CaseID: fmt.Sprintf("case-%04d", i), DraftText: draft,
			Image: cxrkit.ImageRef{Source: "nih", ImageID: fmt.Sprintf("img%04d", i), Path: path}})
	}
	return ins
}

// caseIndex recovers the case index from a request's image.
func caseIndex(r fakevllm.Request) int {
	for _, m := range r.Messages {
		u := m.ImageURL()
		if u == "" {
			continue
		}
		data, err := base64.StdEncoding.DecodeString(u[strings.Index(u, ",")+1:])
		if err != nil {
			return -1
		}
		img, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			return -1
		}
		g := img.(*image.Gray)
		return int(g.Pix[0]) + 256*int(g.Pix[1])
	}
	return -1
}

// answer is the scripted grounding answer for case i.
func answer(i int) string {
	switch i % 4 {
	case 0:
		return `[{"label": "pleural_effusion", "box_2d": [0.6, 0.05, 0.85, 0.4]}]`
	case 1:
		return `[{"label": "no_finding", "box_2d": null}]`
	case 2:
		return "```json\n[{\"label\": \"Cardiomegaly\", \"box_2d\": [450, 300, 800, 750]}, {\"label\": \"pneumothorax\", \"box_2d\": [0.1, 0.6, 0.4, 0.9]}]\n```"
	}
	return `Findings: {"findings": [{"label": "nodule", "box_2d": [0.2, 0.2, 0.25, 0.25]}]}`
}

func responder(r fakevllm.Request) string { return answer(caseIndex(r)) }

func newAuditor(t testing.TB, chat infer.Chatter, attempts int) *audit.Auditor {
	v, _ := labelmap.Default()
	prompt, err := configs.LoadPrompt(configs.PromptGrounding, "")
	if err != nil {
		t.Fatal(err)
	}
	g, err := infer.NewGrounder(infer.GrounderOptions{Chat: chat, Prompt: prompt, Vocab: v, Attempts: attempts})
	if err != nil {
		t.Fatal(err)
	}
	rules, _ := audit.NewRulesParser("")
	return &audit.Auditor{Grounder: g, Drafts: rules, Compare: audit.CompareOptions{Urgent: v.Urgent()},
		Prompts: map[string]string{"grounding": prompt.SHA256}}
}

func client(t testing.TB, urls ...string) *infer.Client {
	c, err := infer.NewClient(infer.ClientOptions{Endpoints: urls, Model: "fake/medgemma-cxr", Retries: 10,
		Backoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func readResults(t testing.TB, path string) map[string]cxrkit.Result {
	out := map[string]cxrkit.Result{}
	err := cxrkit.ReadJSONLFile(path, func(_ int, r *cxrkit.Result) error {
		if _, dup := out[r.CaseID]; dup {
			t.Fatalf("case %s written twice", r.CaseID)
		}
		out[r.CaseID] = *r
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestAuditSingleCase(t *testing.T) {
	s := fakevllm.New(fakevllm.Options{Responder: responder})
	defer s.Close()
	a := newAuditor(t, client(t, s.APIURL()), 3)
	ins := caseImages(t, 3)
	r := a.Audit(context.Background(), ins[2]) // cardiomegaly + pneumothorax; draft "Cardiomegaly. No pneumothorax."
	if r.Error != nil || r.Parse.Grounding != "ok" || r.Parse.Draft != "rules" {
		t.Fatalf("result %+v", r)
	}
	if fmt.Sprint(r.Audit.MissingFindings) != "[pneumothorax]" || len(r.Audit.UnsupportedClaims) != 0 || fmt.Sprint(r.Audit.UrgentReviewFlags) != "[pneumothorax]" {
		t.Fatalf("audit %+v", r.Audit)
	}
	if len(r.ImageFindings) != 2 || r.ImageFindings[0].Label != labelmap.Pneumothorax || r.ImageFindings[1].Box.Y0 != 0.45 {
		t.Fatalf("image findings %+v (0-1000 box must be rescaled, canonical order)", r.ImageFindings)
	}
	if r.Prompts["grounding"] == "" || r.RawGrounding == "" || r.Disclaimer == "" || r.BoxFormat != cxrkit.BoxFormat {
		t.Fatalf("result metadata %+v", r)
	}
	req := s.Requests()[0]
	if *req.Temperature != 0 || req.MaxTokens != 512 || req.Seed == nil || !strings.HasPrefix(req.Messages[0].ImageURL(), "data:image/png;base64,") {
		t.Fatalf("request %+v", req.Raw())
	}
}

func TestParseRetryLadder(t *testing.T) {
	// Garbage until the corrective instruction appears; garbage always for
	// a second server.
	fixes := fakevllm.New(fakevllm.Options{Responder: func(r fakevllm.Request) string {
		if strings.Contains(r.Text(), infer.Corrective) {
			return answer(0)
		}
		return "I cannot comply with JSON today."
	}})
	defer fixes.Close()
	a := newAuditor(t, client(t, fixes.APIURL()), 3)
	r := a.Audit(context.Background(), caseImages(t, 1)[0])
	if r.Attempts != 2 || r.Parse.Grounding != "ok" || len(r.ImageFindings) != 1 {
		t.Fatalf("ladder: attempts %d parse %s findings %+v", r.Attempts, r.Parse.Grounding, r.ImageFindings)
	}
	never := fakevllm.New(fakevllm.Options{Responder: func(fakevllm.Request) string { return "The study is normal." }})
	defer never.Close()
	a = newAuditor(t, client(t, never.APIURL()), 3)
	r = a.Audit(context.Background(), caseImages(t, 1)[0])
	if r.Attempts != 3 || r.Parse.Grounding != "failed" || len(r.ImageFindings) != 0 || r.Audit != nil || r.Error == nil {
		t.Fatalf("never parses: %+v", r)
	}
	// No verdict without an image reading: the result line says
	// "audit":null, never an empty (all-clear) audit.
	line, _ := json.Marshal(r)
	if !bytes.Contains(line, []byte(`"audit":null`)) {
		t.Fatalf("result line without \"audit\":null: %s", line)
	}
	reqs := never.Requests()
	if len(reqs) != 3 || *reqs[2].Temperature != 0.4 || *reqs[2].TopP != 0.9 || *reqs[1].Temperature != 0 {
		t.Fatalf("ladder requests: %d, third temperature %v", len(reqs), reqs[len(reqs)-1].Raw()["temperature"])
	}
}

func TestBatchLosesNoCaseUnderFaults(t *testing.T) {
	s := fakevllm.New(fakevllm.Options{Responder: responder, Seed: 11,
		Faults: fakevllm.Faults{Rate5xx: 0.2, RateDrop: 0.05, RateTruncate: 0.1}})
	defer s.Close()
	a := newAuditor(t, client(t, s.APIURL()), 3)
	ins := caseImages(t, 120)
	out := filepath.Join(t.TempDir(), "results.jsonl")
	sum, err := a.RunBatch(context.Background(), ins, audit.BatchOptions{Out: out, Concurrency: 6})
	if err != nil {
		t.Fatal(err)
	}
	got := readResults(t, out)
	if len(got) != 120 || sum.Audited != 120 {
		t.Fatalf("%d results, summary %+v", len(got), sum)
	}
	truncated := 0
	for _, in := range ins {
		r := got[in.CaseID]
		// An answer still unreadable after the whole ladder is an error
		// with no verdict; any other error is a lost case.
		ladderFailed := r.Parse.Grounding == "failed" && r.Attempts == 3 && r.Audit == nil
		if r.Error != nil && !ladderFailed {
			t.Errorf("%s: error %s", in.CaseID, *r.Error)
		}
		if r.Attempts > 1 || r.Parse.Grounding == "salvaged" {
			truncated++
		}
	}
	if truncated == 0 || s.Calls() <= 120 {
		t.Errorf("faults did not bite: %d calls, %d truncated answers handled", s.Calls(), truncated)
	}
	t.Logf("%d calls for 120 cases; %d truncated answers salvaged or retried; %s", s.Calls(), truncated, sum)
}

func TestBatchErrorsAreResults(t *testing.T) {
	s := fakevllm.New(fakevllm.Options{Fail: 500})
	defer s.Close()
	c, _ := infer.NewClient(infer.ClientOptions{Endpoints: []string{s.APIURL()}, Model: "fake/medgemma-cxr", Retries: 1, Backoff: time.Millisecond})
	a := newAuditor(t, c, 3)
	ins := caseImages(t, 5)
	ins = append(ins, audit.Input{CaseID: "no-image", DraftText: "x", Image: cxrkit.ImageRef{Source: "nih", ImageID: "gone"}})
	out := filepath.Join(t.TempDir(), "r.jsonl")
	sum, err := a.RunBatch(context.Background(), ins, audit.BatchOptions{Out: out, Concurrency: 2})
	if err != nil {
		t.Fatal(err)
	}
	got := readResults(t, out)
	if len(got) != 6 || sum.Errors != 6 || got["no-image"].Error == nil || !strings.Contains(*got["no-image"].Error, "no image path") {
		t.Fatalf("summary %+v, results %v", sum, got["no-image"])
	}
	if !strings.Contains(*got["case-0000"].Error, "HTTP 500") {
		t.Fatalf("error %q does not name the HTTP failure", *got["case-0000"].Error)
	}
}

func TestBatchRepairsTornLineAndResumes(t *testing.T) {
	s := fakevllm.New(fakevllm.Options{Responder: responder})
	defer s.Close()
	a := newAuditor(t, client(t, s.APIURL()), 3)
	ins := caseImages(t, 10)
	out := filepath.Join(t.TempDir(), "r.jsonl")
	a.RunBatch(context.Background(), ins[:4], audit.BatchOptions{Out: out})
	data, _ := os.ReadFile(out)
	os.WriteFile(out, append(data, []byte(`{"case_id":"case-0004","image_id":"img00`)...), 0o644)
	calls := s.Calls()
	sum, err := a.RunBatch(context.Background(), ins, audit.BatchOptions{Out: out, Concurrency: 3})
	if err != nil {
		t.Fatal(err)
	}
	if sum.AlreadyDone != 4 || sum.Audited != 6 || s.Calls()-calls != 6 {
		t.Fatalf("summary %+v, %d new calls", sum, s.Calls()-calls)
	}
	if got := readResults(t, out); len(got) != 10 {
		t.Fatalf("%d results", len(got))
	}
	// A damaged line in the middle is not silently dropped.
	data, _ = os.ReadFile(out)
	lines := strings.SplitAfter(string(data), "\n")
	lines[2] = "not json\n"
	os.WriteFile(out, []byte(strings.Join(lines, "")), 0o644)
	if _, err := a.RunBatch(context.Background(), ins, audit.BatchOptions{Out: out}); err == nil || !strings.Contains(err.Error(), ":3:") {
		t.Fatalf("damaged middle line: err %v", err)
	}
}

func TestBatchConcurrency(t *testing.T) {
	s := fakevllm.New(fakevllm.Options{Responder: responder, Latency: 50 * time.Millisecond})
	defer s.Close()
	a := newAuditor(t, client(t, s.APIURL()), 3)
	start := time.Now()
	_, err := a.RunBatch(context.Background(), caseImages(t, 32), audit.BatchOptions{Concurrency: 8})
	if err != nil {
		t.Fatal(err)
	}
	if s.PeakInFlight() != 8 || time.Since(start) > 2*time.Second {
		t.Fatalf("peak in flight %d (want 8), took %v", s.PeakInFlight(), time.Since(start))
	}
}

func TestBatchFileRoundTripEqualsOnline(t *testing.T) {
	ins := caseImages(t, 24)
	s := fakevllm.New(fakevllm.Options{Responder: responder})
	defer s.Close()
	online := map[string]cxrkit.Result{}
	newAuditor(t, client(t, s.APIURL()), 3).RunBatch(context.Background(), ins, audit.BatchOptions{Sink: func(r cxrkit.Result, _ error) { online[r.CaseID] = r }})

	dir := t.TempDir()
	rec := infer.NewRecorder("fake/medgemma-cxr", nil)
	newAuditor(t, rec, 1).RunBatch(context.Background(), ins, audit.BatchOptions{})
	in, outPath := filepath.Join(dir, "batch.jsonl"), filepath.Join(dir, "batch_out.jsonl")
	if err := rec.WriteFile(in); err != nil {
		t.Fatal(err)
	}
	if err := fakevllm.RunBatch(in, outPath, "fake/medgemma-cxr", responder); err != nil {
		t.Fatal(err)
	}
	answers, err := infer.ReadBatchOutput([]string{outPath}, "fake/medgemma-cxr", nil)
	if err != nil {
		t.Fatal(err)
	}
	batch := map[string]cxrkit.Result{}
	newAuditor(t, answers, 1).RunBatch(context.Background(), ins, audit.BatchOptions{Sink: func(r cxrkit.Result, _ error) { batch[r.CaseID] = r }})
	if len(batch) != len(ins) || rec.Len() != len(ins) {
		t.Fatalf("%d batch results, %d requests recorded", len(batch), rec.Len())
	}
	for id, want := range online {
		a, _ := json.Marshal(want)
		b, _ := json.Marshal(batch[id])
		if !bytes.Equal(a, b) {
			t.Errorf("%s:\nonline %s\n batch %s", id, a, b)
		}
	}
}

// TestBatchResumesAfterSIGKILL kills a batch run (in a child process) with
// SIGKILL, resumes it, and checks that the final results equal an
// uninterrupted run and that no finished case was asked again.
func TestBatchResumesAfterSIGKILL(t *testing.T) {
	if os.Getenv("CXRKIT_AUDIT_CHILD") != "" {
		return
	}
	s := fakevllm.New(fakevllm.Options{Responder: responder, Latency: 30 * time.Millisecond})
	defer s.Close()
	dir := t.TempDir()
	out := filepath.Join(dir, "results.jsonl")
	cmd := exec.Command(os.Args[0], "-test.run=^TestAuditChild$")
	cmd.Env = append(os.Environ(), "CXRKIT_AUDIT_CHILD="+s.APIURL(), "CXRKIT_AUDIT_OUT="+out, "CXRKIT_AUDIT_IMAGES="+dir)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for countLines(out) < 15 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	before := readResultsLenient(out)
	if len(before) < 15 || len(before) >= 60 {
		t.Fatalf("killed with %d results written, want a run cut in the middle", len(before))
	}
	callsBefore := s.Requests()
	ins := childInputs(t, dir)
	a := newAuditor(t, client(t, s.APIURL()), 3)
	if _, err := a.RunBatch(context.Background(), ins, audit.BatchOptions{Out: out, Concurrency: 4}); err != nil {
		t.Fatal(err)
	}
	final := readResults(t, out)
	if len(final) != 60 {
		t.Fatalf("%d results after resume", len(final))
	}
	// Uninterrupted reference run.
	ref := map[string]cxrkit.Result{}
	a.RunBatch(context.Background(), ins, audit.BatchOptions{Sink: func(r cxrkit.Result, _ error) { ref[r.CaseID] = r }})
	for id, want := range ref {
		a, _ := json.Marshal(want)
		b, _ := json.Marshal(final[id])
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs after resume:\n%s\n%s", id, b, a)
		}
	}
	resumed := s.Requests()[len(callsBefore):]
	for _, r := range resumed[:len(resumed)-60] {
		if id := fmt.Sprintf("case-%04d", caseIndex(r)); slices.Contains(before, id) {
			t.Errorf("%s was finished before the kill but asked again", id)
		}
	}
	t.Logf("killed after %d of 60 results; resume asked %d more", len(before), len(resumed)-60)
}

func childInputs(t testing.TB, dir string) []audit.Input {
	ins := caseImages(t, 60)
	// Same images in a fixed folder, so parent and child share them.
	for i := range ins {
		p := filepath.Join(dir, filepath.Base(ins[i].Image.Path))
		if _, err := os.Stat(p); err != nil {
			data, _ := os.ReadFile(ins[i].Image.Path)
			os.WriteFile(p, data, 0o644)
		}
		ins[i].Image.Path = p
	}
	return ins
}

func TestAuditChild(t *testing.T) {
	url := os.Getenv("CXRKIT_AUDIT_CHILD")
	if url == "" {
		t.Skip("child process of TestBatchResumesAfterSIGKILL")
	}
	ins := childInputs(t, os.Getenv("CXRKIT_AUDIT_IMAGES"))
	a := newAuditor(t, client(t, url), 3)
	a.RunBatch(context.Background(), ins, audit.BatchOptions{Out: os.Getenv("CXRKIT_AUDIT_OUT"), Concurrency: 2})
}

func countLines(path string) int {
	data, _ := os.ReadFile(path)
	return bytes.Count(data, []byte("\n"))
}

func readResultsLenient(path string) []string {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	var ids []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var r cxrkit.Result
		if json.Unmarshal(sc.Bytes(), &r) == nil {
			ids = append(ids, r.CaseID)
		}
	}
	return ids
}
