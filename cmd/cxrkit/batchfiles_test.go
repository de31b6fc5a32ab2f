package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/infer/fakevllm"
)

type batchLine struct {
	CustomID string          `json:"custom_id"`
	Body     json.RawMessage `json:"body"`
}

func readBatch(t *testing.T, path string) []batchLine {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 64<<20)
	var out []batchLine
	for sc.Scan() {
		var l batchLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatal(err)
		}
		out = append(out, l)
	}
	return out
}

// runBatchLike stands in for `vllm run-batch`: it answers every line of in
// with answer, writes the lines in reverse order, and lets fail turn line
// i (input order) into one of the failure shapes batch runners write.
func runBatchLike(t *testing.T, in, out, model string, answer func(fakevllm.Request) string, fail func(i int) string) {
	t.Helper()
	var lines []string
	for i, l := range readBatch(t, in) {
		var req fakevllm.Request
		if err := json.Unmarshal(l.Body, &req); err != nil {
			t.Fatal(err)
		}
		ok, _ := json.Marshal(fakevllm.Completion(model, answer(req), "stop"))
		var line string
		switch fail(i) {
		case "":
			line = fmt.Sprintf(`{"id":"b%d","custom_id":%q,"response":{"status_code":200,"request_id":"r","body":%s},"error":null}`, i, l.CustomID, ok)
		case "status0":
			// An answer under status code 0 (left unset) counts by its body.
			line = fmt.Sprintf(`{"id":"b%d","custom_id":%q,"response":{"status_code":0,"request_id":"r","body":%s},"error":null}`, i, l.CustomID, ok)
		case "body-error":
			line = fmt.Sprintf(`{"id":"b%d","custom_id":%q,"response":{"status_code":400,"request_id":"r","body":{"object":"error","message":"image could not be loaded","type":"BadRequestError","code":400}},"error":null}`, i, l.CustomID)
		case "body-error-200":
			line = fmt.Sprintf(`{"id":"b%d","custom_id":%q,"response":{"status_code":200,"request_id":"r","body":{"error":{"message":"context length exceeded"}}},"error":null}`, i, l.CustomID)
		case "line-error":
			line = fmt.Sprintf(`{"id":"b%d","custom_id":%q,"response":null,"error":{"code":"engine_dead","message":"engine died"}}`, i, l.CustomID)
		}
		lines = append(lines, line)
	}
	slices.Reverse(lines)
	if err := os.WriteFile(out, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// fileImageAnswer reads the request's image from its file:// URL, as
// vllm run-batch --allowed-local-media-path does, and answers by its size.
func fileImageAnswer(t *testing.T) func(fakevllm.Request) string {
	return func(r fakevllm.Request) string {
		u, err := url.Parse(r.Messages[0].ImageURL())
		if err != nil || u.Scheme != "file" {
			t.Errorf("image URL %q is not file://", r.Messages[0].ImageURL())
			return ""
		}
		f, err := os.Open(u.Path)
		if err != nil {
			t.Error(err)
			return ""
		}
		defer f.Close()
		cfg, err := png.DecodeConfig(f)
		if err != nil {
			t.Error(err)
			return ""
		}
		if cfg.Width == 40 {
			return `[{"label": "cardiomegaly", "box_2d": [0.4, 0.3, 0.8, 0.7]}]`
		}
		return `[{"label": "no_finding", "box_2d": null}]`
	}
}

func draftAnswer(r fakevllm.Request) string {
	if strings.Contains(r.Text(), "Cardiomegaly.") {
		return `<think>the heart</think>[{"label": "cardiomegaly", "status": "present", "span": "Cardiomegaly"}]`
	}
	return `[{"label": "no_finding", "status": "present", "span": "Normal"}]`
}

func TestAuditBatchFilesWithFileImagesFailuresAndResubmission(t *testing.T) {
	dir := t.TempDir()
	var lines []string
	for i := range 4 {
		// Four distinct images (sizes 40..43 wide): four grounding requests.
		path := filepath.Join(dir, fmt.Sprintf("img%d.png", i))
		f, _ := os.Create(path)
		png.Encode(f, image.NewGray(image.Rect(0, 0, 40+i, 30)))
		f.Close()
		draft := []string{"Cardiomegaly.", "Normal chest.", "Normal chest, no change.", "Normal study."}[i]
		c, _ := json.Marshal(cxrkit.Case{CaseID: fmt.Sprintf("c%d", i), ImageID: fmt.Sprintf("img%d", i), Source: "nih", DraftText: draft, ImagePath: path})
		lines = append(lines, string(c))
	}
	cases := filepath.Join(dir, "cases.jsonl")
	os.WriteFile(cases, []byte(strings.Join(lines, "\n")+"\n"), 0o644)
	batch, draftBatch := filepath.Join(dir, "grounding.jsonl"), filepath.Join(dir, "draft.jsonl")
	common := []string{"--model", "fake/medgemma-cxr", "--cases", cases, "--draft-parser", "llm", "--draft-model", "fake/nemotron",
		"--batch-images", "file"}

	// Emit: both models' requests, images as file:// URLs, no base64.
	code, _, stderr := runCLI(t, append([]string{"audit", "--emit-batch", batch, "--emit-draft-batch", draftBatch}, common...)...)
	if code != exitOK || !strings.Contains(stderr, "4 distinct grounding requests") || !strings.Contains(stderr, "4 distinct draft requests") ||
		!strings.Contains(stderr, "--allowed-local-media-path "+filepath.Join(dir, "batch_images")) {
		t.Fatalf("emit: exit %d %s", code, stderr)
	}
	data, _ := os.ReadFile(batch)
	if strings.Contains(string(data), "base64") || strings.Count(string(data), `"url":"file://`) != 4 {
		t.Fatalf("batch file does not carry 4 file:// images: %.300s", data)
	}
	if imgs, _ := filepath.Glob(filepath.Join(dir, "batch_images", "*.png")); len(imgs) != 4 {
		t.Fatalf("batch images %v", imgs)
	}
	drafts := readBatch(t, draftBatch)
	if len(drafts) != 4 || !strings.Contains(string(drafts[0].Body), `"max_tokens":2048`) {
		t.Fatalf("draft batch %d lines: %.300s", len(drafts), drafts[0].Body)
	}

	// The batch runner answers out of order; two grounding requests fail
	// in different shapes, one answer arrives under status code 0.
	out, draftOut := filepath.Join(dir, "grounding_out.jsonl"), filepath.Join(dir, "draft_out.jsonl")
	runBatchLike(t, batch, out, "fake/medgemma-cxr", fileImageAnswer(t), func(i int) string {
		return []string{"", "status0", "body-error", "line-error"}[i]
	})
	runBatchLike(t, draftBatch, draftOut, "fake/nemotron", draftAnswer, func(int) string { return "" })
	results := filepath.Join(dir, "results.jsonl")
	code, _, stderr = runCLI(t, append([]string{"audit", "--ingest-batch", out, "--ingest-draft-batch", draftOut, "--out", results}, common...)...)
	if !strings.Contains(stderr, "2 requests got no answer") {
		t.Fatalf("ingest: exit %d %s", code, stderr)
	}
	got := map[string]cxrkit.Result{}
	rs, _ := cxrkit.LoadJSONL[cxrkit.Result](results)
	errored := 0
	for _, r := range rs {
		got[r.CaseID] = r
		if r.Error != nil {
			errored++
			if !strings.Contains(*r.Error, "image could not be loaded") && !strings.Contains(*r.Error, "engine died") {
				t.Errorf("%s: error %q does not say why", r.CaseID, *r.Error)
			}
		} else if r.Parse.Grounding != "ok" || r.Parse.Draft != "ok" || r.Audit == nil {
			t.Errorf("%s: answered case %+v", r.CaseID, r)
		}
	}
	// Lines 0 and 1 (status 200 and status 0) answered, 2 and 3 failed.
	if len(rs) != 4 || errored != 2 {
		t.Fatalf("%d results, %d errored; want 4 and 2", len(rs), errored)
	}
	resubmit := filepath.Join(dir, "grounding_out.resubmit.jsonl")
	again := readBatch(t, resubmit)
	orig := readBatch(t, batch)
	want := []string{orig[2].CustomID, orig[3].CustomID}
	var ids []string
	for _, l := range again {
		ids = append(ids, l.CustomID)
	}
	slices.Sort(ids)
	slices.Sort(want)
	if !slices.Equal(ids, want) {
		t.Fatalf("resubmission holds %v, want the failed %v", ids, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "draft_out.resubmit.jsonl")); !os.IsNotExist(err) {
		t.Errorf("every draft was answered, yet a draft resubmission file exists (%v)", err)
	}

	// The resubmission's output answers what the first could not.
	reOut := filepath.Join(dir, "resubmit_out.jsonl")
	runBatchLike(t, resubmit, reOut, "fake/medgemma-cxr", fileImageAnswer(t), func(int) string { return "" })
	final := filepath.Join(dir, "final.jsonl")
	code, _, stderr = runCLI(t, append([]string{"audit", "--ingest-batch", out, "--ingest-batch", reOut, "--ingest-draft-batch", draftOut, "--out", final}, common...)...)
	if code != exitOK || strings.Contains(stderr, "got no answer") {
		t.Fatalf("final ingest: exit %d %s", code, stderr)
	}
	rs, _ = cxrkit.LoadJSONL[cxrkit.Result](final)
	for _, r := range rs {
		if r.Error != nil || r.Audit == nil {
			t.Errorf("%s: %+v", r.CaseID, r)
		}
	}
	if len(rs) != 4 {
		t.Fatalf("%d final results", len(rs))
	}
}
