package serve

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"image"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/audit"
	"github.com/cxrkit/cxrkit/imaging"
	"github.com/cxrkit/cxrkit/infer/fakevllm"
	"github.com/cxrkit/cxrkit/labelmap"
)

// trickle opens a connection that sends an audit request's headers and
// then its body one byte per interval, as a slow (or hostile) client.
func trickle(t *testing.T, base string, every time.Duration, stop <-chan struct{}) <-chan string {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	status := make(chan string, 1)
	fmt.Fprintf(conn, "POST /api/audit HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=B\r\nContent-Length: 100000\r\n\r\n")
	go func() {
		defer conn.Close()
		br := bufio.NewReader(conn)
		got := make(chan string, 1)
		go func() {
			line, _ := br.ReadString('\n')
			got <- strings.TrimSpace(line)
		}()
		for {
			select {
			case line := <-got:
				status <- line
				return
			case <-stop:
				status <- "stopped"
				return
			case <-time.After(every):
				if _, err := conn.Write([]byte("-")); err != nil {
					status <- <-got
					return
				}
			}
		}
	}()
	return status
}

// TestSlowUploadsDoNotHoldSlots: four clients sending their bodies at a
// byte per 100 ms must not lock anyone out (the slot is taken after the
// upload is read), and are themselves cut off at the upload timeout.
func TestSlowUploadsDoNotHoldSlots(t *testing.T) {
	e := newEnv(t, fakevllm.Options{}, Options{MaxConcurrent: 4, UploadTimeout: 800 * time.Millisecond})
	stop := make(chan struct{})
	defer close(stop)
	var slow []<-chan string
	for range 4 {
		slow = append(slow, trickle(t, e.server.URL, 100*time.Millisecond, stop))
	}
	time.Sleep(200 * time.Millisecond)
	resp := e.post(t, "/api/audit", readImage(t), "a.png", "Cardiomegaly.", nil)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("a normal request beside four slow uploads: %d", resp.StatusCode)
	}
	for i, c := range slow {
		select {
		case line := <-c:
			if !strings.Contains(line, "408") {
				t.Errorf("slow upload %d: %q, want 408", i, line)
			}
		case <-time.After(5 * time.Second):
			t.Errorf("slow upload %d still held after the upload timeout; logs %s", i, e.logs.String())
		}
	}
}

// blockingGrounder holds every audit until released.
type blockingGrounder struct{ release chan struct{} }

func (b blockingGrounder) Ground(ctx context.Context, _ cxrkit.ImageRef) (cxrkit.Grounding, error) {
	select {
	case <-b.release:
	case <-ctx.Done():
		return cxrkit.Grounding{}, ctx.Err()
	}
	return cxrkit.Grounding{Status: cxrkit.ParseGold}, nil
}

func newBareServer(t *testing.T, g audit.Grounder, o Options) *httptest.Server {
	t.Helper()
	rules, _ := audit.NewRulesParser("")
	v, _ := labelmap.Default()
	o.Auditor = &audit.Auditor{Grounder: g, Drafts: rules, Compare: audit.CompareOptions{Urgent: v.Urgent()}}
	h, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func postForm(t *testing.T, url string, image []byte, name, draft string) (*http.Response, []byte) {
	t.Helper()
	body, ct := form(t, image, name, draft)
	resp, err := http.Post(url+"/api/audit", ct, body)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp, data
}

// TestBusyIsJSON503EvenForLargeBodies: with every slot taken, a 6 MB
// upload gets the JSON 503 with Retry-After (not a reset connection).
func TestBusyIsJSON503EvenForLargeBodies(t *testing.T) {
	g := blockingGrounder{release: make(chan struct{})}
	srv := newBareServer(t, g, Options{MaxConcurrent: 1})
	img := readImage(t)
	first := make(chan int, 1)
	go func() {
		resp, _ := postForm(t, srv.URL, img, "a.png", "Cardiomegaly.")
		first <- resp.StatusCode
	}()
	time.Sleep(300 * time.Millisecond)
	big := append(append([]byte{}, img...), bytes.Repeat([]byte{0}, 6<<20)...)
	resp, data := postForm(t, srv.URL, big, "b.png", "Cardiomegaly.")
	var body apiError
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" || json.Unmarshal(data, &body) != nil || body.Error == "" {
		t.Fatalf("busy: %d %q", resp.StatusCode, data)
	}
	close(g.release)
	if s := <-first; s != http.StatusOK {
		t.Fatalf("first: %d", s)
	}
}

func TestDraftLimit(t *testing.T) {
	srv := newBareServer(t, fixedGold{}, Options{MaxDraftChars: 100})
	img := readImage(t)
	for _, tt := range []struct {
		draft string
		want  int
	}{
		{strings.Repeat("é", 100), http.StatusOK},
		{strings.Repeat("é", 101), http.StatusRequestEntityTooLarge},
		// The limit is the draft's, trimmed: padding around it is not
		// draft (it was counted in bytes before, so this was 413).
		{"\n\t " + strings.Repeat("é", 100) + strings.Repeat(" \r\n", 1000), http.StatusOK},
		{strings.Repeat("\u00a0", 500) + "Cardiomegaly." + strings.Repeat("\n", 500), http.StatusOK},
		{"  " + strings.Repeat("é", 101) + "  ", http.StatusRequestEntityTooLarge},
		// Whitespace inside the draft is draft.
		{"Cardiomegaly." + strings.Repeat(" ", 1000) + "Effusion.", http.StatusRequestEntityTooLarge},
	} {
		resp, data := postForm(t, srv.URL, img, "a.png", tt.draft)
		if resp.StatusCode != tt.want {
			t.Errorf("%d-character draft: %d %s", len([]rune(tt.draft)), resp.StatusCode, data)
		}
	}
	if Defaults().MaxDraftChars != 20000 {
		t.Errorf("default draft limit %d", Defaults().MaxDraftChars)
	}
}

// TestOverlongDraftCostsItsLimit: a 16 MB draft over a 100-character
// limit is refused with 413 after reading a few hundred bytes of it; the
// rest of the body is drained, never kept (it was read whole before).
func TestOverlongDraftCostsItsLimit(t *testing.T) {
	srv := newBareServer(t, fixedGold{}, Options{MaxDraftChars: 100, MaxUploadBytes: 64 << 20})
	body, ct := form(t, readImage(t), "a.png", strings.Repeat("No effusion. ", (16<<20)/13))
	status, data, alloc := allocsOf(t, srv.URL, body, ct)
	if status != http.StatusRequestEntityTooLarge || !bytes.Contains(data, []byte("--max-draft-chars")) {
		t.Fatalf("status %d: %.300s", status, data)
	}
	if alloc > 4<<20 {
		t.Errorf("refusing a 16 MB draft allocated %d MiB", alloc>>20)
	}
}

// TestPaddedDraftCostsItsLimit: a short draft inside 16 MB of whitespace
// is accepted (the limit is on the trimmed draft), and reading it
// allocates about what the bare draft's request does: what is kept of a
// draft is bounded by the limit, not by the padding.
func TestPaddedDraftCostsItsLimit(t *testing.T) {
	srv := newBareServer(t, fixedGold{}, Options{MaxDraftChars: 100, MaxUploadBytes: 64 << 20})
	img := readImage(t)
	allocs := func(draft string) uint64 {
		body, ct := form(t, img, "a.png", draft)
		status, data, alloc := allocsOf(t, srv.URL, body, ct)
		if status != http.StatusOK {
			t.Fatalf("%d-byte draft: status %d: %.300s", len(draft), status, data)
		}
		return alloc
	}
	pad := strings.Repeat(" \n", 4<<20)
	bare, padded := allocs("No effusion."), allocs(pad+"No effusion."+pad)
	if padded > bare+(1<<20) {
		t.Errorf("a 12-character draft padded to 16 MB allocated %d KiB, %d KiB bare", padded>>10, bare>>10)
	}
}

// allocsOf posts body to the audit endpoint of the server at url and
// returns the status, the answer and the bytes this process allocated
// between a garbage collection before the request and the answer read.
func allocsOf(t *testing.T, url string, body io.Reader, contentType string) (int, []byte, uint64) {
	t.Helper()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	resp, err := http.Post(url+"/api/audit", contentType, body)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	runtime.ReadMemStats(&after)
	return resp.StatusCode, data, after.TotalAlloc - before.TotalAlloc
}

type fixedGold struct{}

func (fixedGold) Ground(context.Context, cxrkit.ImageRef) (cxrkit.Grounding, error) {
	return cxrkit.Grounding{Status: cxrkit.ParseGold}, nil
}

// TestDraftParsingHonoursTimeout: a large draft with a short request
// timeout answers 504 near the timeout, not 200 after parsing it all.
// (The draft limit keeps real drafts far smaller; it is raised here.)
func TestDraftParsingHonoursTimeout(t *testing.T) {
	// The draft reader outlasts the request deadline by construction (it
	// returns only once the request's context is done, then parses with
	// the real rules), so the answer does not depend on machine speed.
	rules, _ := audit.NewRulesParser("")
	v, _ := labelmap.Default()
	h, err := New(Options{Timeout: 30 * time.Millisecond,
		Auditor: &audit.Auditor{Grounder: fixedGold{}, Drafts: outlastDeadline{rules}, Compare: audit.CompareOptions{Urgent: v.Urgent()}}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	small, _ := imaging.PNGBytes(image.NewGray(image.Rect(0, 0, 8, 8)), true)
	start := time.Now()
	resp, data := postForm(t, srv.URL, small, "a.png", "Mild cardiomegaly without pleural effusion.")
	if resp.StatusCode != http.StatusGatewayTimeout {
		t.Fatalf("status %d after %v: %.200s", resp.StatusCode, time.Since(start), data)
	}
	if bytes.Contains(data, []byte(`"audit":{`)) {
		t.Fatalf("timeout result with a verdict %.300s", data)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("answered after %v with a 30ms timeout", d)
	}
}

// outlastDeadline reads a draft only after the request's deadline passed.
type outlastDeadline struct{ audit.DraftReader }

func (o outlastDeadline) ReadDraft(ctx context.Context, text string) (cxrkit.DraftReading, error) {
	<-ctx.Done()
	return o.DraftReader.ReadDraft(ctx, text)
}

func TestBearerSchemeCaseInsensitive(t *testing.T) {
	for _, tt := range []struct {
		header string
		ok     bool
	}{{"Bearer tok", true}, {"bearer tok", true}, {"BEARER  tok ", true}, {"Basic tok", false}, {"Bearer", false}, {"Bearertok", false}} {
		got, ok := bearerToken(tt.header)
		if ok != tt.ok || ok && got != "tok" {
			t.Errorf("%q: %q %v", tt.header, got, ok)
		}
	}
}

// hugePNG is a valid PNG header declaring w×h 16-bit RGBA with no pixels.
func hugePNG(w, h uint32) []byte {
	png, _ := imaging.PNGBytes(image.NewGray(image.Rect(0, 0, 1, 1)), true)
	binary.BigEndian.PutUint32(png[16:], w)
	binary.BigEndian.PutUint32(png[20:], h)
	png[24], png[25] = 16, 6
	binary.BigEndian.PutUint32(png[29:], crc32.ChecksumIEEE(png[12:29]))
	return png
}

// TestClientMistakesAre4xx: a bad upload is the client's 4xx (never a
// retried 502); endpoint faults are 502/503/504 with "audit": null.
func TestClientMistakesAre4xx(t *testing.T) {
	img := readImage(t)
	gold := newBareServer(t, audit.NewGoldGrounder(nil), Options{})
	model := newEnv(t, fakevllm.Options{}, Options{})
	unreadable := newEnv(t, fakevllm.Options{Responder: func(fakevllm.Request) string { return "The study is normal." }}, Options{})
	overloaded := newEnv(t, fakevllm.Options{Fail: 503}, Options{})
	budgeted := newEnv(t, fakevllm.Options{}, Options{Image: imaging.Budget(0, 1)})
	tests := []struct {
		name  string
		url   string
		image []byte
		want  int
		null  bool
	}{
		{"truncated PNG", model.server.URL, img[:len(img)/2], http.StatusUnprocessableEntity, false},
		{"PNG over --max-pixels", model.server.URL, hugePNG(16384, 16384), http.StatusRequestEntityTooLarge, false},
		{"PNG over --max-image-mb", budgeted.server.URL, hugePNG(1024, 1024), http.StatusRequestEntityTooLarge, false},
		{"the same PNG in the default budget (no pixels: damaged)", model.server.URL, hugePNG(1024, 1024), http.StatusUnprocessableEntity, false},
		{"upload not in the gold corpus", gold.URL, img, http.StatusNotFound, true},
		{"answer never parsed", unreadable.server.URL, img, http.StatusBadGateway, true},
		{"endpoint overloaded", overloaded.server.URL, img, http.StatusServiceUnavailable, true},
	}
	for _, tt := range tests {
		resp, data := postForm(t, tt.url, tt.image, "a.png", "Cardiomegaly.")
		if resp.StatusCode != tt.want {
			t.Errorf("%s: %d, want %d: %.300s", tt.name, resp.StatusCode, tt.want, data)
		}
		if tt.null && !bytes.Contains(data, []byte(`"audit":null`)) {
			t.Errorf("%s: no \"audit\":null in %.300s", tt.name, data)
		}
		hr, err := http.Get(tt.url + "/healthz")
		if err != nil {
			t.Fatalf("%s: /healthz after the attack: %v", tt.name, err)
		}
		hr.Body.Close()
	}
}
