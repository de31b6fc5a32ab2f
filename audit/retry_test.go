package audit_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/audit"
	"github.com/cxrkit/cxrkit/infer"
	"github.com/cxrkit/cxrkit/infer/fakevllm"
)

// TestRerunRetriesExactlyTheErroredCases: an endpoint down for the first
// half of a batch leaves errored results; a rerun asks exactly those
// cases again and the file ends with one good line per case.
func TestRerunRetriesExactlyTheErroredCases(t *testing.T) {
	s := fakevllm.New(fakevllm.Options{Responder: responder, FailFirst: 10})
	defer s.Close()
	c, _ := infer.NewClient(infer.ClientOptions{Endpoints: []string{s.APIURL()}, Model: "fake/medgemma-cxr", Retries: infer.NoRetries})
	a := newAuditor(t, c, 1)
	ins := caseImages(t, 20)
	out := filepath.Join(t.TempDir(), "r.jsonl")
	sum, err := a.RunBatch(context.Background(), ins, audit.BatchOptions{Out: out, Concurrency: 1})
	if err != nil {
		t.Fatal(err)
	}
	perr := sum.Partial()
	if sum.Errors != 10 || !errors.Is(perr, cxrkit.ErrPartial) || !strings.Contains(perr.Error(), "HTTP 500 from "+s.APIURL()+" (10)") {
		t.Fatalf("first run: %+v, partial %v", sum, perr)
	}
	var failed []string
	for id, r := range readResults(t, out) {
		if r.Error != nil {
			failed = append(failed, id)
		}
	}
	// --keep-errors: nothing is asked again.
	calls := s.Calls()
	sum, err = a.RunBatch(context.Background(), ins, audit.BatchOptions{Out: out, KeepErrors: true})
	if err != nil || sum.Audited != 0 || sum.KeptErrors != 10 || s.Calls() != calls || sum.Partial() == nil {
		t.Fatalf("keep-errors: %+v %v, %d calls", sum, err, s.Calls()-calls)
	}
	before := len(s.Requests())
	sum, err = a.RunBatch(context.Background(), ins, audit.BatchOptions{Out: out, Concurrency: 3})
	if err != nil || sum.Retried != 10 || sum.Audited != 10 || sum.AlreadyDone != 10 || sum.Errors != 0 || sum.Partial() != nil {
		t.Fatalf("rerun: %+v %v", sum, err)
	}
	var asked []string
	for _, r := range s.Requests()[before:] {
		asked = append(asked, ins[caseIndex(r)].CaseID)
	}
	slices.Sort(asked)
	slices.Sort(failed)
	if !slices.Equal(asked, failed) {
		t.Fatalf("rerun asked %v, want exactly the failed %v", asked, failed)
	}
	got := readResults(t, out) // fails on a case written twice
	for id, r := range got {
		if r.Error != nil {
			t.Errorf("%s still errored", id)
		}
	}
	if len(got) != 20 {
		t.Fatalf("%d results", len(got))
	}
}

func TestResumeRefusesIncompleteLines(t *testing.T) {
	a := newAuditor(t, client(t, "http://127.0.0.1:1/v1"), 1)
	ins := caseImages(t, 2)
	dir := t.TempDir()
	good := `{"case_id":"case-0000","image_id":"img0000","audit":{"missing_findings":[],"unsupported_claims":[],"urgent_review_flags":[]},"parse":{"grounding":"ok","draft":"rules"},"error":null,"disclaimer":"x"}`
	for name, line := range map[string]string{
		"hand-edited": `{"case_id":"case-0001"}`,
		"a case":      `{"case_id":"case-0001","image_id":"img0001","source":"nih","draft_text":"Cardiomegaly.","corrupted_labels":[]}`,
		"no case_id":  `{"case_id":"","image_id":"i","audit":null,"parse":{},"error":"x","disclaimer":"x"}`,
	} {
		out := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".jsonl")
		os.WriteFile(out, []byte(good+"\n"+line+"\n"), 0o644)
		_, err := a.RunBatch(context.Background(), ins, audit.BatchOptions{Out: out})
		if !errors.Is(err, audit.ErrNotResult) || !strings.Contains(err.Error(), out+":2:") {
			t.Errorf("%s: err %v", name, err)
		}
	}
	// A grounding failure recorded as "audit": null is not finished.
	out := filepath.Join(dir, "null_audit.jsonl")
	nullAudit := strings.Replace(good, `"audit":{"missing_findings":[],"unsupported_claims":[],"urgent_review_flags":[]}`, `"audit":null`, 1)
	os.WriteFile(out, []byte(nullAudit+"\n"), 0o644)
	gold := &audit.Auditor{Grounder: goldFor(ins), Drafts: a.Drafts}
	sum, err := gold.RunBatch(context.Background(), ins, audit.BatchOptions{Out: out})
	if err != nil || sum.Retried != 1 || sum.Audited != 2 {
		t.Fatalf("null audit: %+v %v", sum, err)
	}
}

// goldFor grounds every input as normal, without a model.
func goldFor(ins []audit.Input) audit.Grounder {
	var recs []cxrkit.Record
	for _, in := range ins {
		recs = append(recs, cxrkit.Record{ImageID: in.Image.ImageID, Source: in.Image.Source, Findings: cxrkit.NoFindingList()})
	}
	return audit.NewGoldGrounder(recs)
}

func TestConcurrentRunsOnOneOutRefused(t *testing.T) {
	s := fakevllm.New(fakevllm.Options{Responder: responder, Latency: 200 * time.Millisecond})
	defer s.Close()
	a := newAuditor(t, client(t, s.APIURL()), 1)
	ins := caseImages(t, 4)
	out := filepath.Join(t.TempDir(), "r.jsonl")
	first := make(chan error)
	go func() {
		_, err := a.RunBatch(context.Background(), ins, audit.BatchOptions{Out: out, Concurrency: 1})
		first <- err
	}()
	for s.Calls() == 0 {
		time.Sleep(time.Millisecond)
	}
	_, err := a.RunBatch(context.Background(), ins, audit.BatchOptions{Out: out})
	if !errors.Is(err, cxrkit.ErrLocked) {
		t.Fatalf("second run: %v", err)
	}
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if got := readResults(t, out); len(got) != 4 || s.Calls() != 4 {
		t.Fatalf("%d results, %d calls", len(got), s.Calls())
	}
}

// TestFullDiskStopsCallingTheModel runs a batch in a child process whose
// file size limit (RLIMIT_FSIZE) makes writes fail like a full disk: the
// run must stop asking the model right after the first failed write.
func TestFullDiskStopsCallingTheModel(t *testing.T) {
	if os.Getenv("CXRKIT_FULLDISK_CHILD") != "" {
		return
	}
	s := fakevllm.New(fakevllm.Options{Responder: responder})
	defer s.Close()
	dir := t.TempDir()
	out := filepath.Join(dir, "r.jsonl")
	cmd := exec.Command(os.Args[0], "-test.run=^TestFullDiskChild$")
	cmd.Env = append(os.Environ(), "CXRKIT_FULLDISK_CHILD="+s.APIURL(), "CXRKIT_FULLDISK_OUT="+out, "CXRKIT_FULLDISK_IMAGES="+dir)
	msg, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, msg)
	}
	written := countLines(out)
	if !strings.Contains(string(msg), "FULLDISK-OK") || written == 0 || written >= 40 || s.Calls() > int64(written+6) {
		t.Fatalf("%d results written, %d model calls (concurrency 2)\n%s", written, s.Calls(), msg)
	}
	// The calls beyond the written results are the failed write's and
	// those already in flight or finished when the write failed.
	t.Logf("%d results fit, %d model calls", written, s.Calls())
}

func TestFullDiskChild(t *testing.T) {
	url := os.Getenv("CXRKIT_FULLDISK_CHILD")
	if url == "" {
		t.Skip("child process of TestFullDiskStopsCallingTheModel")
	}
	ins := childInputs(t, os.Getenv("CXRKIT_FULLDISK_IMAGES"))[:40]
	a := newAuditor(t, client(t, url), 1)
	limitFileSize(t, 6000)
	sum, err := a.RunBatch(context.Background(), ins, audit.BatchOptions{Out: os.Getenv("CXRKIT_FULLDISK_OUT"), Concurrency: 2})
	if err == nil || sum.WriteFailed == "" || !strings.Contains(sum.String(), "no further cases were sent") {
		t.Fatalf("want a write failure: %v %+v", err, sum)
	}
	println("FULLDISK-OK")
}
