package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/cxrkit/cxrkit/infer/fakevllm"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func findChromium() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// startServe runs `cxrkit serve` in-process and returns its base URL.
func startServe(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stderr := &lockedBuffer{}
	done := make(chan int, 1)
	go func() {
		var out bytes.Buffer
		done <- run(ctx, append([]string{"cxrkit", "serve", "--addr", "127.0.0.1:0"}, args...), strings.NewReader(""), &out, stderr)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("serve did not shut down")
		}
	})
	re := regexp.MustCompile(`listening on (http://[0-9.:]+)`)
	for range 200 {
		if m := re.FindStringSubmatch(stderr.String()); m != nil {
			return m[1]
		}
		select {
		case code := <-done:
			t.Fatalf("serve exited %d: %s", code, stderr.String())
		case <-time.After(25 * time.Millisecond):
		}
	}
	t.Fatalf("serve did not start: %s", stderr.String())
	return ""
}

// TestBrowserAudit drives headless Chromium through an audit of a real
// NIH image against a fake model endpoint, checks what the page renders,
// and saves a screenshot (CXRKIT_SCREENSHOT overrides its path).
func TestBrowserAudit(t *testing.T) {
	chrome := findChromium()
	if chrome == "" {
		t.Skip("no Chromium found (CI installs Debian's chromium); skipping the browser test")
	}
	image, err := filepath.Abs(nihImage)
	if err != nil || !fileExists(image) {
		t.Skipf("test image %s missing", image)
	}
	fake := fakevllm.New(fakevllm.Options{Responder: func(fakevllm.Request) string {
		return `[{"label": "cardiomegaly", "box_2d": [0.45, 0.28, 0.82, 0.76]}, {"label": "pneumothorax", "box_2d": [0.06, 0.56, 0.38, 0.9]}, {"label": "pleural_effusion", "box_2d": [0.66, 0.06, 0.9, 0.36]}]`
	}})
	defer fake.Close()
	base := startServe(t, "--endpoint", fake.APIURL(), "--model", "fake/medgemma-cxr")

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chrome), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("no-first-run", true), chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 1100))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelA()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancelT := context.WithTimeout(ctx, 60*time.Second)
	defer cancelT()

	draft := "Mild cardiomegaly. No pleural effusion."
	do := func(steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatal(err)
		}
	}
	eval := func(js string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		return v
	}
	do(chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS("#form")))
	do(chromedp.SetUploadFiles(chromedp.CSS("#image"), []string{image}),
		chromedp.SetValue(chromedp.CSS("#draft"), draft),
		chromedp.Click(chromedp.CSS("#run")),
		chromedp.WaitVisible(chromedp.CSS("#results")),
		chromedp.WaitVisible(chromedp.CSS("#overlay rect")))
	rects := eval(`Array.from(document.querySelectorAll('#overlay rect')).map(r => r.dataset.label + ':' + r.dataset.kind).join(',')`)
	chips := eval(`Array.from(document.querySelectorAll('#chips .chip')).map(c => c.textContent).join(',')`)
	explanations := eval(`document.querySelector('#explanations').innerText`)
	missingRows := eval(`Array.from(document.querySelectorAll('#findings tbody tr')).map(r => r.dataset.label + '=' + r.lastChild.textContent).join(',')`)
	ribbon := eval(`document.querySelector('#disclaimer').textContent`)
	loaded := eval(`String(document.querySelector('#xray').naturalWidth)`)
	screenshot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if loaded != "1024" {
		t.Errorf("uploaded image not shown: naturalWidth %s", loaded)
	}
	if rects != "cardiomegaly:supported,pneumothorax:urgent,pleural_effusion:missing" && rects != "pleural_effusion:missing,pneumothorax:urgent,cardiomegaly:supported" {
		t.Errorf("boxes %q", rects)
	}
	if chips != "1 urgent,2 missing,0 unsupported" {
		t.Errorf("chips %q", chips)
	}
	if !strings.Contains(explanations, "the draft denies it: “No pleural effusion”") || !strings.Contains(explanations, "URGENT") {
		t.Errorf("explanations %q", explanations)
	}
	if !strings.Contains(missingRows, "cardiomegaly=ok") || !strings.Contains(missingRows, "pneumothorax=urgent, missing") {
		t.Errorf("findings table %q", missingRows)
	}
	if !strings.Contains(ribbon, "not a medical device") {
		t.Errorf("ribbon %q", ribbon)
	}
	out := os.Getenv("CXRKIT_SCREENSHOT")
	if out == "" {
		out = filepath.Join(os.TempDir(), "cxrkit-serve-audit.png")
	}
	if err := os.WriteFile(out, screenshot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes)", out, len(screenshot))

	// The endpoint going away shows a visible error.
	// A new image (answers for the first are remembered by the server).
	fake.Close()
	other, _ := filepath.Abs("../../testdata/nih/images/00000002_000.png")
	do(chromedp.SetUploadFiles(chromedp.CSS("#image"), []string{other}),
		chromedp.Click(chromedp.CSS("#run")), chromedp.WaitVisible(chromedp.CSS("#error")))
	if alert := eval(`document.querySelector('#error').textContent`); !strings.Contains(alert, "The audit failed (HTTP 502)") {
		t.Errorf("error display %q", alert)
	}
	// No verdict without an image reading: the earlier result's chips are
	// replaced by an explicit error state, never a verdict or an all-clear.
	if chips := eval(`Array.from(document.querySelectorAll('#chips .chip')).map(c => c.dataset.kind + ':' + c.textContent).join(',')`); chips != "error:no verdict: the audit failed" {
		t.Errorf("chips after a failed audit %q", chips)
	}
	if n := eval(`String(document.querySelectorAll('#overlay rect').length)`); n != "0" {
		t.Errorf("%s boxes still shown after a failed audit", n)
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
