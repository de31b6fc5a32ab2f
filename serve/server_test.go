package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/audit"
	"github.com/cxrkit/cxrkit/configs"
	"github.com/cxrkit/cxrkit/infer"
	"github.com/cxrkit/cxrkit/infer/fakevllm"
	"github.com/cxrkit/cxrkit/labelmap"
)

const nihImage = "../testdata/nih/images/00000001_000.png"

func answer(fakevllm.Request) string {
	return `[{"label": "cardiomegaly", "box_2d": [0.45, 0.3, 0.8, 0.75]}, {"label": "pneumothorax", "box_2d": [0.08, 0.55, 0.35, 0.9]}]`
}

type env struct {
	fake   *fakevllm.Server
	server *httptest.Server
	logs   *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newEnv(t *testing.T, fo fakevllm.Options, o Options) *env {
	t.Helper()
	if fo.Responder == nil {
		fo.Responder = answer
	}
	fake := fakevllm.New(fo)
	t.Cleanup(fake.Close)
	v, _ := labelmap.Default()
	client, err := infer.NewClient(infer.ClientOptions{Endpoints: []string{fake.APIURL()}, Model: "fake/medgemma-cxr", Retries: 1, Backoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	prompt, _ := configs.LoadPrompt(configs.PromptGrounding, "")
	g, _ := infer.NewGrounder(infer.GrounderOptions{Chat: client, Prompt: prompt, Vocab: v})
	rules, _ := audit.NewRulesParser("")
	o.Auditor = &audit.Auditor{Grounder: g, Drafts: rules, Compare: audit.CompareOptions{Urgent: v.Urgent()}}
	o.Health = client.Health
	o.GroundingMode = "model"
	logs := &syncBuffer{}
	o.Logger = slog.New(slog.NewTextHandler(logs, nil))
	h, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &env{fake: fake, server: srv, logs: logs}
}

func form(t *testing.T, image []byte, name, draft string) (*bytes.Buffer, string) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	if image != nil {
		w, _ := mw.CreateFormFile("image", name)
		w.Write(image)
	}
	if draft != "" {
		mw.WriteField("draft", draft)
	}
	mw.Close()
	return &b, mw.FormDataContentType()
}

func (e *env) post(t *testing.T, path string, image []byte, name, draft string, header map[string]string) *http.Response {
	body, ct := form(t, image, name, draft)
	req, _ := http.NewRequest(http.MethodPost, e.server.URL+path, body)
	req.Header.Set("Content-Type", ct)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func readImage(t *testing.T) []byte {
	data, err := os.ReadFile(nihImage)
	if err != nil {
		t.Skipf("test image: %v", err)
	}
	return data
}

func TestAuditAPI(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	e := newEnv(t, fakevllm.Options{}, Options{})
	draft := "Mild cardiomegaly. Secret patient words here."
	resp := e.post(t, "/api/audit", readImage(t), "00000001_000.png", draft, nil)
	defer resp.Body.Close()
	var r cxrkit.Result
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil || resp.StatusCode != 200 {
		t.Fatalf("status %d: %v", resp.StatusCode, err)
	}
	if r.Parse.Grounding != "ok" || len(r.Audit.MissingFindings) != 1 || r.Audit.MissingFindings[0] != labelmap.Pneumothorax || !strings.Contains(r.Disclaimer, "not a medical device") {
		t.Fatalf("result %+v", r)
	}
	if entries, _ := os.ReadDir(tmp); len(entries) != 0 {
		t.Fatalf("upload written to disk: %v", entries)
	}
	if logs := e.logs.String(); strings.Contains(logs, "Secret patient") || !strings.Contains(logs, "/api/audit") {
		t.Fatalf("logs: %s", logs)
	}
}

// TestImageOnlyReading posts an image without a draft: the answer has the
// image findings, a draft parse of "none" and no verdict (audit null).
func TestImageOnlyReading(t *testing.T) {
	e := newEnv(t, fakevllm.Options{}, Options{})
	resp := e.post(t, "/api/audit", readImage(t), "00000001_000.png", "", nil)
	defer resp.Body.Close()
	var r cxrkit.Result
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil || resp.StatusCode != 200 {
		t.Fatalf("status %d: %v", resp.StatusCode, err)
	}
	if r.Parse.Draft != cxrkit.ParseNone || r.Parse.Grounding != "ok" || len(r.ImageFindings) != 2 ||
		r.Audit != nil || r.Error != nil || len(r.Notes) == 0 {
		t.Fatalf("image-only reading %+v", r)
	}
}

func TestHardening(t *testing.T) {
	img := readImage(t)
	e := newEnv(t, fakevllm.Options{}, Options{MaxUploadBytes: 64 << 10})
	tests := []struct {
		name   string
		image  []byte
		draft  string
		status int
	}{
		{"too large", img, "Cardiomegaly.", http.StatusRequestEntityTooLarge},
		{"not an image", []byte("#!/bin/sh\necho hi\n" + strings.Repeat("x", 200)), "Cardiomegaly.", http.StatusUnsupportedMediaType},
		{"no image", nil, "Cardiomegaly.", http.StatusBadRequest},
	}
	for _, tt := range tests {
		resp := e.post(t, "/api/audit", tt.image, "x.png", tt.draft, nil)
		var body apiError
		json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != tt.status || body.Error == "" || body.Disclaimer == "" {
			t.Errorf("%s: status %d (%q), want %d", tt.name, resp.StatusCode, body.Error, tt.status)
		}
	}
	// Not multipart at all.
	resp, _ := http.Post(e.server.URL+"/api/audit", "application/json", strings.NewReader("{}"))
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("json body: %d", resp.StatusCode)
	}
}

func TestBearerToken(t *testing.T) {
	e := newEnv(t, fakevllm.Options{}, Options{Token: "s3cret"})
	img := readImage(t)
	for _, h := range []map[string]string{nil, {"Authorization": "Bearer wrong"}, {"Authorization": "s3cret"}} {
		resp := e.post(t, "/api/audit", img, "a.png", "Cardiomegaly.", h)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("%v: status %d", h, resp.StatusCode)
		}
	}
	resp := e.post(t, "/api/audit", img, "a.png", "Cardiomegaly.", map[string]string{"Authorization": "Bearer s3cret"})
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("right token: %d", resp.StatusCode)
	}
	var h healthReport
	r, _ := http.Get(e.server.URL + "/healthz")
	json.NewDecoder(r.Body).Decode(&h)
	if !h.TokenRequired || h.Status != "ok" {
		t.Errorf("healthz %+v", h)
	}
}

func TestConcurrencyLimit(t *testing.T) {
	e := newEnv(t, fakevllm.Options{Latency: 1500 * time.Millisecond}, Options{MaxConcurrent: 1})
	img := readImage(t)
	done := make(chan int, 1)
	go func() {
		resp := e.post(t, "/api/audit", img, "a.png", "Cardiomegaly.", nil)
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	// The first request holds the only slot once the model has it; a
	// fixed sleep raced with a loaded machine.
	for deadline := time.Now().Add(10 * time.Second); e.fake.Calls() == 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the first request never reached the model")
		}
	}
	resp := e.post(t, "/api/audit", img, "b.png", "Cardiomegaly.", nil)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("second request: %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if s := <-done; s != 200 {
		t.Fatalf("first request: %d", s)
	}
}

func TestTimeoutAndEndpointFailure(t *testing.T) {
	img := readImage(t)
	slow := newEnv(t, fakevllm.Options{Latency: 2 * time.Second}, Options{Timeout: 200 * time.Millisecond})
	resp := slow.post(t, "/api/audit", img, "a.png", "Cardiomegaly.", nil)
	var r cxrkit.Result
	json.NewDecoder(resp.Body).Decode(&r)
	resp.Body.Close()
	if resp.StatusCode != http.StatusGatewayTimeout || r.Error == nil {
		t.Fatalf("timeout: %d %+v", resp.StatusCode, r)
	}
	broken := newEnv(t, fakevllm.Options{Fail: 500}, Options{})
	resp = broken.post(t, "/api/audit", img, "a.png", "Cardiomegaly.", nil)
	json.NewDecoder(resp.Body).Decode(&r)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadGateway || r.Error == nil || !strings.Contains(*r.Error, "HTTP 500") {
		t.Fatalf("endpoint failure: %d %+v", resp.StatusCode, r)
	}
	var h healthReport
	broken.fake.Close()
	hr, _ := http.Get(broken.server.URL + "/healthz")
	json.NewDecoder(hr.Body).Decode(&h)
	if hr.StatusCode != http.StatusServiceUnavailable || h.Status != "degraded" {
		t.Fatalf("healthz after the endpoint went away: %d %+v", hr.StatusCode, h)
	}
}

func TestPageAndHeaders(t *testing.T) {
	e := newEnv(t, fakevllm.Options{}, Options{})
	for _, path := range []string{"/", "/static/app.js", "/static/app.css"} {
		resp, err := http.Get(e.server.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		csp := resp.Header.Get("Content-Security-Policy")
		if resp.StatusCode != 200 || !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe-inline") ||
			resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: %d, headers %v", path, resp.StatusCode, resp.Header)
		}
		s := strings.ReplaceAll(string(body), "http://www.w3.org/2000/svg", "")
		if strings.Contains(s, "http://") || strings.Contains(s, "https://") {
			t.Errorf("%s refers to an external URL", path)
		}
		if path == "/" && (!strings.Contains(s, "not a medical device") || strings.Contains(s, "<script>") || strings.Contains(s, "style=")) {
			t.Errorf("page: disclaimer or inline code problem")
		}
	}
	resp, _ := http.Get(e.server.URL + "/../etc/passwd")
	if resp.StatusCode == 200 {
		t.Error("path traversal answered 200")
	}
}

func TestDICOMPreview(t *testing.T) {
	data, err := os.ReadFile("../imaging/testdata/mono1_12bit.dcm")
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, fakevllm.Options{}, Options{})
	resp := e.post(t, "/api/preview", data, "x.dcm", "", nil)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" || !bytes.HasPrefix(body, []byte("\x89PNG")) {
		t.Fatalf("preview: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}

func TestImageIDFromName(t *testing.T) {
	for in, want := range map[string]string{"00000001_000.png": "00000001_000", `C:\x\y.dcm`: "y", "../../etc/passwd": "passwd", "a b.png": "", "noext": "noext"} {
		if got := imageIDFromName(in); got != want {
			t.Errorf("%q -> %q, want %q", in, got, want)
		}
	}
	_ = context.Background
}
