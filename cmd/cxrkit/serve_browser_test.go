package main

import (
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
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
	for range 400 {
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

// page is a headless Chromium tab at 1400×900 with helpers that fail the
// test on error.
type page struct {
	t   *testing.T
	ctx context.Context
}

func newPage(t *testing.T) *page {
	t.Helper()
	chrome := findChromium()
	if chrome == "" {
		t.Skip("no Chromium found (CI installs Debian's chromium); skipping the browser test")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chrome), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("no-first-run", true), chromedp.Flag("disable-quic", true),
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1400, 900))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelA)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(cancel)
	ctx, cancelT := context.WithTimeout(ctx, 120*time.Second)
	t.Cleanup(cancelT)
	p := &page{t: t, ctx: ctx}
	p.do(chromedp.EmulateViewport(1400, 900))
	return p
}

func (p *page) do(steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, steps...); err != nil {
		p.t.Fatal(err)
	}
}

func (p *page) eval(js string) string {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](js))
	if err != nil {
		p.t.Fatalf("%s: %v", js, err)
	}
	return v
}

// wait polls a JavaScript condition.
func (p *page) wait(cond string) {
	p.t.Helper()
	if _, err := chromedp.Run(p.ctx, chromedp.Poll[bool](cond, chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
		p.t.Fatalf("waiting for %s: %v", cond, err)
	}
}

// screenshot saves the viewport as PNG under $CXRKIT_SCREENSHOT_DIR (the
// docs/ screenshots are made this way), else in a temporary folder.
func (p *page) screenshot(name string) {
	p.t.Helper()
	data, err := chromedp.Run(p.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		p.t.Fatal(err)
	}
	dir := os.Getenv("CXRKIT_SCREENSHOT_DIR")
	if dir == "" {
		dir = p.t.TempDir()
	}
	out := filepath.Join(dir, name)
	if err := os.WriteFile(out, data, 0o644); err != nil {
		p.t.Fatal(err)
	}
	p.t.Logf("screenshot: %s (%d bytes)", out, len(data))
}

// tagOverlaps counts pairs of label boxes on the image that overlap on
// screen.
const tagOverlaps = `(() => {
  const r = Array.from(document.querySelectorAll('#overlay rect.tag')).map(e => e.getBoundingClientRect());
  let n = 0;
  for (let i = 0; i < r.length; i++) for (let j = i + 1; j < r.length; j++)
    if (r[i].left < r[j].right && r[j].left < r[i].right && r[i].top < r[j].bottom && r[j].top < r[i].bottom) n++;
  return String(n) + ' of ' + r.length;
})()`

// TestBrowserAudit drives headless Chromium through an audit of a real
// NIH image against a fake model that answers overlapping boxes: labels
// must not overlap, same-region boxes merge, touching same-label boxes
// become "(2 foci)", the verdict is visible without scrolling, toggles,
// zoom and downloads work; then an image-only reading, then a failure.
func TestBrowserAudit(t *testing.T) {
	image, err := filepath.Abs(nihImage)
	if err != nil || !fileExists(image) {
		t.Skipf("test image %s missing", image)
	}
	p := newPage(t)
	fake := fakevllm.New(fakevllm.Options{Responder: func(fakevllm.Request) string {
		return `[{"label": "cardiomegaly", "box_2d": [0.45, 0.28, 0.82, 0.76]},
		{"label": "pleural_effusion", "box_2d": [0.47, 0.30, 0.80, 0.74]},
		{"label": "pneumothorax", "box_2d": [0.06, 0.56, 0.38, 0.9]},
		{"label": "lung_opacity_consolidation", "box_2d": [0.12, 0.50, 0.45, 0.70]},
		{"label": "nodule_mass", "box_2d": [0.20, 0.10, 0.26, 0.16]},
		{"label": "nodule_mass", "box_2d": [0.25, 0.15, 0.30, 0.21]},
		{"label": "pleural_effusion", "box_2d": [0.66, 0.80, 0.9, 0.97]}]`
	}})
	defer fake.Close()
	base := startServe(t, "--endpoint", fake.APIURL(), "--model", "fake/medgemma-cxr")
	downloads := t.TempDir()
	p.do(chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS("#form")),
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
				Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads})
			return err
		}))
	p.wait(`document.body.dataset.ready === "true"`)
	if got := p.eval(`document.querySelector('#footer').textContent`); !strings.Contains(got, "a model's opinion") {
		t.Errorf("model-mode footer %q", got)
	}
	p.do(chromedp.SetUploadFiles(chromedp.CSS("#image"), []string{image}))
	p.wait(`document.querySelector('#xray').width === 1024`)
	p.do(chromedp.SetValue(chromedp.CSS("#draft"), "Mild cardiomegaly. No pleural effusion."),
		chromedp.Click(chromedp.CSS("#run")), chromedp.WaitVisible(chromedp.CSS("#results")))
	p.wait(`document.querySelectorAll('#overlay rect.box').length > 0`)

	if got := p.eval(tagOverlaps); !strings.HasPrefix(got, "0 of ") || got == "0 of 0" {
		t.Errorf("overlapping labels: %s", got)
	}
	regions := p.eval(`Array.from(document.querySelectorAll('#overlay g.region')).map(g => g.dataset.labels + ':' + g.dataset.kind).join(',')`)
	if !strings.Contains(regions, "pleural_effusion cardiomegaly:missing") {
		t.Errorf("same-region boxes of two labels not merged: %s", regions)
	}
	tags := p.eval(`Array.from(document.querySelectorAll('#overlay text')).map(t => t.textContent).join(' | ')`)
	for _, want := range []string{"! Nodule / mass (2 foci) (missing)", "Pleural effusion (missing) + Cardiomegaly", "! Pneumothorax (missing)"} {
		if !strings.Contains(tags, want) {
			t.Errorf("labels %q lack %q", tags, want)
		}
	}
	if got := p.eval(`Array.from(document.querySelectorAll('#chips .chip')).map(c => c.textContent).join(',')`); got != "2 urgent,4 missing,0 unsupported" {
		t.Errorf("chips %q", got)
	}
	if got := p.eval(`document.querySelector('#explanations').innerText`); !strings.Contains(got, "the draft denies it: “No pleural effusion”") || !strings.Contains(got, "URGENT") {
		t.Errorf("explanations %q", got)
	}
	// Everything that matters is on screen at 1400×900 without scrolling.
	if got := p.eval(`String(document.documentElement.scrollHeight <= innerHeight && document.querySelector('#findings').getBoundingClientRect().bottom <= innerHeight && document.querySelector('#chips').getBoundingClientRect().bottom <= innerHeight)`); got != "true" {
		t.Errorf("results not visible without scrolling at 1400×900")
	}
	// Every control has a name.
	if got := p.eval(`Array.from(document.querySelectorAll('input,select,textarea,button')).filter(e => !e.labels?.length && !e.getAttribute('aria-label') && !e.textContent.trim()).map(e => e.id).join(',')`); got != "" {
		t.Errorf("controls without a label: %s", got)
	}
	if got := p.eval(`document.querySelector('#disclaimer').textContent`); !strings.Contains(got, "not a medical device") {
		t.Errorf("ribbon %q", got)
	}
	p.screenshot("serve-single-case.png")

	// The colour key toggles one label, and "b" all boxes.
	p.do(chromedp.Click(chromedp.CSS("#key-pneumothorax")))
	if got := p.eval(`String(document.querySelectorAll('#overlay g.region[data-labels~="pneumothorax"]').length)`); got != "0" {
		t.Errorf("pneumothorax still drawn after its toggle: %s", got)
	}
	p.do(chromedp.Click(chromedp.CSS("#key-pneumothorax")), chromedp.KeyEvent("b"))
	if got := p.eval(`String(document.querySelectorAll('#overlay rect.box').length)`); got != "0" {
		t.Errorf("boxes after 'b': %s", got)
	}
	p.do(chromedp.KeyEvent("b"))
	// Zoom with the keyboard on the focused image, and back to fit.
	before := p.eval(`document.querySelector('#world').style.transform`)
	p.do(chromedp.Focus(chromedp.CSS("#stage")), chromedp.KeyEvent("+"), chromedp.KeyEvent("+"))
	if got := p.eval(`document.querySelector('#zoom-level').textContent`); got != "156%" {
		t.Errorf("zoom after two '+': %s", got)
	}
	p.do(chromedp.KeyEvent("0"))
	if got := p.eval(`document.querySelector('#world').style.transform`); got != before {
		t.Errorf("fit after zoom: %q, want %q", got, before)
	}
	// Downloads: the result JSON and the annotated PNG.
	p.do(chromedp.Click(chromedp.CSS("#download-json")), chromedp.Click(chromedp.CSS("#download-png")))
	var jsonFile, pngFile string
	for range 200 {
		jsonFile, pngFile = "", ""
		entries, _ := os.ReadDir(downloads)
		for _, e := range entries {
			switch {
			case strings.HasSuffix(e.Name(), ".json"):
				jsonFile = filepath.Join(downloads, e.Name())
			case strings.HasSuffix(e.Name(), "-annotated.png"):
				pngFile = filepath.Join(downloads, e.Name())
			}
		}
		if jsonFile != "" && pngFile != "" {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if jsonFile == "" || pngFile == "" {
		t.Fatalf("downloads missing: json %q png %q", jsonFile, pngFile)
	}
	var res struct {
		Audit struct {
			Urgent []string `json:"urgent_review_flags"`
		} `json:"audit"`
		Disclaimer string `json:"disclaimer"`
	}
	if data, err := os.ReadFile(jsonFile); err != nil || json.Unmarshal(data, &res) != nil || len(res.Audit.Urgent) != 2 || res.Disclaimer == "" {
		t.Errorf("downloaded JSON %s: %v %+v", jsonFile, err, res)
	}
	if f, err := os.Open(pngFile); err != nil {
		t.Error(err)
	} else {
		cfg, err := png.DecodeConfig(f)
		f.Close()
		if err != nil || cfg.Width != 1024 || cfg.Height <= 1024 {
			t.Errorf("annotated PNG %s: %v %dx%d (want 1024 wide, taller than 1024 for the disclaimer strip)", pngFile, err, cfg.Width, cfg.Height)
		}
	}

	// An image-only reading: findings, boxes, no verdict.
	p.eval(`document.querySelector('#draft').value = ''; ''`)
	p.do(chromedp.Click(chromedp.CSS("#run")))
	p.wait(`!document.querySelector('#reading-note').hidden`)
	if got := p.eval(`document.querySelectorAll('#chips .chip').length + ' chips, flags hidden ' + document.querySelector('#explanations').hidden + ', verdicts ' + Array.from(document.querySelectorAll('#findings tbody tr')).map(r => r.lastChild.textContent).join('')`); got != "0 chips, flags hidden true, verdicts —————" {
		t.Errorf("image-only reading: %s", got)
	}
	if got := p.eval(tagOverlaps); !strings.HasPrefix(got, "0 of ") {
		t.Errorf("overlapping labels in the image-only reading: %s", got)
	}
	if got := p.eval(`document.querySelector('#styles').textContent`); !strings.Contains(got, "no verdict") || strings.Contains(got, "missing from the draft") {
		t.Errorf("image-only legend %q", got)
	}
	p.screenshot("serve-image-only.png")

	// The endpoint going away shows an error and no verdict. A new image:
	// answers for the first are remembered by the server.
	fake.Close()
	other, _ := filepath.Abs("../../testdata/nih/images/00000002_000.png")
	p.do(chromedp.SetUploadFiles(chromedp.CSS("#image"), []string{other}))
	p.wait(`document.querySelector('#results').hidden`)
	p.do(chromedp.SetValue(chromedp.CSS("#draft"), "No acute disease."), chromedp.Click(chromedp.CSS("#run")), chromedp.WaitVisible(chromedp.CSS("#error")))
	if got := p.eval(`document.querySelector('#error').textContent`); !strings.Contains(got, "The audit failed (HTTP 502)") {
		t.Errorf("error display %q", got)
	}
	// No verdict without an image reading: the earlier result's chips are
	// replaced by an explicit error state, never a verdict or an all-clear.
	if got := p.eval(`Array.from(document.querySelectorAll('#chips .chip')).map(c => c.dataset.kind + ':' + c.textContent).join(',')`); got != "error:no verdict: the audit failed" {
		t.Errorf("chips after a failed audit %q", got)
	}
	if n := p.eval(`String(document.querySelectorAll('#overlay rect').length)`); n != "0" {
		t.Errorf("%s boxes still shown after a failed audit", n)
	}
	if code := p.eval(`(() => { const x = new XMLHttpRequest(); x.open('GET', '/favicon.ico', false); x.send(); return x.status + ' ' + x.getResponseHeader('Content-Type'); })()`); code != "200 image/x-icon" {
		t.Errorf("favicon: %s", code)
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// TestBrowserReview opens `serve --review` over testdata/review: the
// filters show their counts, a filter narrows the list, the keyboard walks
// the cases, and an image-less case says so.
func TestBrowserReview(t *testing.T) {
	if !fileExists(nihImage) {
		t.Skipf("test image %s missing", nihImage)
	}
	p := newPage(t)
	dir := "../../testdata/review"
	base := startServe(t, "--review", dir+"/results.jsonl", "--corpus", dir+"/corpus.jsonl", "--cases", dir+"/cases.jsonl")
	p.do(chromedp.Navigate(base + "/"))
	p.wait(`document.body.dataset.ready === "true"`)
	p.wait(`document.body.dataset.shown === 'a:faithful' && document.querySelectorAll('#overlay rect.box').length > 0`)
	options := func(id string) string {
		return p.eval(`Array.from(document.querySelectorAll('#` + id + ` option')).map(o => o.textContent).join(', ')`)
	}
	if got := options("filter-expected"); got != "any, agrees (4), disagrees (2)" {
		t.Errorf("expected-audit filter %q", got)
	}
	if got := options("filter-verdict"); got != "any, clean (2), flagged (1), urgent (2), not audited (1)" {
		t.Errorf("verdict filter %q", got)
	}
	if got := p.eval(`document.querySelector('#list-count').textContent`); got != "6 of 6 cases match" {
		t.Errorf("list count %q", got)
	}
	if got := p.eval(tagOverlaps); !strings.HasPrefix(got, "0 of ") || got == "0 of 0" {
		t.Errorf("overlapping labels: %s", got)
	}
	// j walks to the next case: expected and actual flags side by side.
	p.do(chromedp.KeyEvent("j"))
	p.wait(`document.body.dataset.shown === 'a:missing'`)
	if got := p.eval(`document.querySelector('#draft-text').textContent + ' | ' + document.querySelector('#expected tbody').innerText.replace(/\s+/g, ' ')`); !strings.Contains(got, "Mild cardiomegaly. No pleural effusion. | Urgent Pneumothorax, Nodule / mass Pneumothorax, Nodule / mass") {
		t.Errorf("draft and expected flags: %q", got)
	}
	p.screenshot("serve-review.png")
	// Filter to the disagreements: counts of the other filters follow.
	p.do(chromedp.SetValue(chromedp.CSS("#filter-expected"), "disagrees"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('#filter-expected').dispatchEvent(new Event('change'))`))
	p.wait(`document.querySelector('#list-count').textContent === '2 of 6 cases match'`)
	p.wait(`document.body.dataset.shown === 'b:unsupported'`)
	if got := options("filter-outcome"); got != "any, ok (1), error (1)" {
		t.Errorf("errors filter under 'disagrees' %q", got)
	}
	if got := p.eval(`document.querySelector('#xray').dataset.available + ' ' + document.querySelector('#expected tbody').innerText.replace(/\s+/g, ' ')`); !strings.HasPrefix(got, "false ") || !strings.Contains(got, "Unsupported Pleural effusion — ≠") {
		t.Errorf("image-less disagreeing case: %q", got)
	}
	p.do(chromedp.KeyEvent("n"))
	p.wait(`document.body.dataset.shown === 'c:faithful'`)
	if got := p.eval(`document.querySelector('#error').hidden + ' ' + document.querySelector('#error').textContent + ' chips ' + Array.from(document.querySelectorAll('#chips .chip')).map(c => c.dataset.kind).join()`); !strings.HasPrefix(got, "false The audit failed") || !strings.HasSuffix(got, "chips error") {
		t.Errorf("errored case: %q", got)
	}
	p.do(chromedp.KeyEvent("k"))
	p.wait(`document.body.dataset.shown === 'b:unsupported'`)
}

// TestBrowserGoldMode: with gold grounding the page says the findings are
// the corpus's annotations, never "a model's opinion".
func TestBrowserGoldMode(t *testing.T) {
	image, err := filepath.Abs(nihImage)
	if err != nil || !fileExists(image) {
		t.Skipf("test image %s missing", image)
	}
	corpus := filepath.Join(t.TempDir(), "corpus.jsonl")
	os.WriteFile(corpus, []byte(`{"image_id":"00000001_000","source":"nih","split":"test","width":1024,"height":1024,"findings":[{"label":"cardiomegaly","box_2d":[0.45,0.28,0.82,0.76]}]}`+"\n"), 0o644)
	p := newPage(t)
	base := startServe(t, "--grounding", "gold", "--corpus", corpus)
	p.do(chromedp.Navigate(base + "/"))
	p.wait(`document.body.dataset.ready === "true"`)
	p.do(chromedp.SetUploadFiles(chromedp.CSS("#image"), []string{image}))
	p.wait(`document.querySelector('#xray').width === 1024`)
	p.do(chromedp.SetValue(chromedp.CSS("#draft"), "Mild cardiomegaly."), chromedp.Click(chromedp.CSS("#run")))
	p.wait(`document.querySelectorAll('#overlay rect.box').length === 1`)
	words := p.eval(`document.querySelector('#health').textContent + ' | ' + document.querySelector('#footer').textContent + ' | ' + document.querySelector('#chips').textContent`)
	if !strings.Contains(words, "gold grounding") || !strings.Contains(words, "corpus's own annotations") || strings.Contains(words, "a model's opinion") || !strings.Contains(words, "draft agrees with the image") {
		t.Errorf("gold-mode wording: %q", words)
	}
}
