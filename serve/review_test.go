package serve

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cxrkit/cxrkit"
)

// reviewFixture names testdata/review: six cases over four images, two
// images on disk, with disagreements, an error and urgent flags.
func reviewFixture(t *testing.T) ReviewFiles {
	t.Helper()
	dir := "../testdata/review"
	if _, err := os.Stat(nihImage); err != nil {
		t.Skip("test image missing")
	}
	return ReviewFiles{Results: filepath.Join(dir, "results.jsonl"), Corpus: filepath.Join(dir, "corpus.jsonl"), Cases: filepath.Join(dir, "cases.jsonl")}
}

func newReviewServer(t *testing.T) *httptest.Server {
	t.Helper()
	rv, err := LoadReview(context.Background(), reviewFixture(t))
	if err != nil {
		t.Fatal(err)
	}
	h, err := New(Options{Review: rv})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func getInto(t *testing.T, url string, v any) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if v != nil {
		json.NewDecoder(resp.Body).Decode(v)
	}
	return resp.StatusCode
}

func countOf(l reviewList, facet, value string) int {
	for _, f := range l.Facets {
		if f.Name != facet {
			continue
		}
		for _, v := range f.Values {
			if v.Value == value {
				return v.Count
			}
		}
	}
	return -1
}

func TestReviewList(t *testing.T) {
	srv := newReviewServer(t)
	tests := []struct {
		query string
		total int
		ids   string
		// facet=value:count pairs that must hold under the query
		counts map[string]int
	}{
		{"", 6, "a:faithful a:missing b:faithful b:unsupported c:faithful d:denied",
			map[string]int{"expected=disagrees": 2, "expected=agrees": 4, "verdict=urgent": 2, "verdict=not audited": 1, "verdict=flagged": 1,
				"outcome=error": 1, "type=faithful": 3, "flag=missing": 2, "label=pneumothorax": 2, "label=pleural_effusion": 3}},
		{"?expected=disagrees", 2, "b:unsupported c:faithful",
			// Counts of a facet ignore that facet's own filter.
			map[string]int{"expected=agrees": 4, "type=unsupported": 1, "type=faithful": 1, "outcome=error": 1}},
		{"?type=faithful&verdict=urgent", 1, "a:faithful", map[string]int{"verdict=clean": 1, "type=missing": 1}},
		{"?label=pneumothorax&limit=1&offset=1", 2, "a:missing", nil},
		{"?outcome=error", 1, "c:faithful", nil},
	}
	for _, tt := range tests {
		var l reviewList
		if code := getInto(t, srv.URL+"/api/review/cases"+tt.query, &l); code != 200 {
			t.Fatalf("%s: status %d", tt.query, code)
		}
		var ids []string
		for _, it := range l.Items {
			ids = append(ids, it.CaseID)
		}
		if l.Total != tt.total || strings.Join(ids, " ") != tt.ids || l.All != 6 {
			t.Errorf("%s: total %d of %d, ids %v", tt.query, l.Total, l.All, ids)
		}
		for k, want := range tt.counts {
			facet, value, _ := strings.Cut(k, "=")
			if got := countOf(l, facet, value); got != want {
				t.Errorf("%s: count %s = %d, want %d", tt.query, k, got, want)
			}
		}
	}
	for _, bad := range []string{"?type=nope", "?limit=0", "?limit=100000", "?offset=-1", "?verdict=URGENT"} {
		if code := getInto(t, srv.URL+"/api/review/cases"+bad, nil); code != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400", bad, code)
		}
	}
}

func TestReviewCaseAndImage(t *testing.T) {
	srv := newReviewServer(t)
	var c reviewCase
	if code := getInto(t, srv.URL+"/api/review/case/1?expected=agrees", &c); code != 200 {
		t.Fatalf("status %d", code)
	}
	if c.Result.CaseID != "a:missing" || c.Case == nil || c.Case.DraftText != "Mild cardiomegaly. No pleural effusion." || c.Record == nil ||
		!c.Image || c.Prev != 0 || c.Next != 2 || c.Position != 1 || c.Total != 4 || c.Expected != "agrees" {
		t.Errorf("case 1: %+v", c)
	}
	if code := getInto(t, srv.URL+"/api/review/case/3?expected=disagrees", &c); code != 200 || c.Image || c.Next != 4 || c.Prev != -1 || c.Record.Width != 2000 {
		t.Errorf("case 3 (no image): status %d %+v", code, c)
	}
	resp, err := http.Get(srv.URL + "/api/review/case/0/image")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" {
		t.Errorf("image: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	// No image path in the corpus, and a path to a file that is gone: both
	// are "image not available".
	for _, i := range []string{"2", "4"} {
		if code := getInto(t, srv.URL+"/api/review/case/"+i+"/image", nil); code != http.StatusNotFound {
			t.Errorf("case %s image: %d, want 404", i, code)
		}
	}
	for _, bad := range []string{"6", "-1", "x", "1e3"} {
		if code := getInto(t, srv.URL+"/api/review/case/"+bad, nil); code != http.StatusNotFound {
			t.Errorf("case %q: %d, want 404", bad, code)
		}
	}
	// Read-only: no audit or preview endpoints in review mode.
	resp, err = http.Post(srv.URL+"/api/audit", "multipart/form-data", strings.NewReader(""))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /api/audit in review mode: %d", resp.StatusCode)
	}
	var h healthReport
	if getInto(t, srv.URL+"/healthz", &h); h.Mode != "review" {
		t.Errorf("healthz mode %q", h.Mode)
	}
}

func TestLoadReviewErrors(t *testing.T) {
	files := reviewFixture(t)
	ctx := context.Background()
	if _, err := LoadReview(ctx, ReviewFiles{Results: files.Results}); !errors.Is(err, cxrkit.ErrInvalidOptions) {
		t.Errorf("no corpus: %v", err)
	}
	dup := filepath.Join(t.TempDir(), "dup.jsonl")
	data, _ := os.ReadFile(files.Cases)
	os.WriteFile(dup, append(data, data...), 0o644)
	if _, err := LoadReview(ctx, ReviewFiles{Results: files.Results, Corpus: files.Corpus, Cases: dup}); err == nil || !strings.Contains(err.Error(), "appears twice") {
		t.Errorf("duplicate case ids: %v", err)
	}
	empty := filepath.Join(t.TempDir(), "empty.jsonl")
	os.WriteFile(empty, nil, 0o644)
	if _, err := LoadReview(ctx, ReviewFiles{Results: empty, Corpus: files.Corpus}); err == nil {
		t.Error("empty results accepted")
	}
	broken := filepath.Join(t.TempDir(), "broken.jsonl")
	os.WriteFile(broken, []byte("{\"case_id\":\"x\"}\n{not json\n"), 0o644)
	if _, err := LoadReview(ctx, ReviewFiles{Results: broken, Corpus: files.Corpus}); err == nil || !strings.Contains(err.Error(), "broken.jsonl:2") {
		t.Errorf("broken line: %v", err)
	}
}

// TestReviewRealVinDr loads the gold audit of every VinDr case when a
// prepared copy is named by CXRKIT_REVIEW_DIR (results.jsonl, corpus.jsonl,
// cases.jsonl) and reports load time, first-page time and counts.
func TestReviewRealVinDr(t *testing.T) {
	dir := os.Getenv("CXRKIT_REVIEW_DIR")
	if dir == "" {
		t.Skip("CXRKIT_REVIEW_DIR not set (see the serve --review note in docs)")
	}
	start := time.Now()
	rv, err := LoadReview(context.Background(), ReviewFiles{Results: filepath.Join(dir, "results.jsonl"),
		Corpus: filepath.Join(dir, "corpus.jsonl"), Cases: filepath.Join(dir, "cases.jsonl")})
	if err != nil {
		t.Fatal(err)
	}
	loaded := time.Since(start)
	h, _ := New(Options{Review: rv})
	srv := httptest.NewServer(h)
	defer srv.Close()
	start = time.Now()
	var l reviewList
	getInto(t, srv.URL+"/api/review/cases", &l)
	first := time.Since(start)
	start = time.Now()
	var f reviewList
	getInto(t, srv.URL+"/api/review/cases?type=missing&verdict=urgent&label=pneumothorax", &f)
	filtered := time.Since(start)
	t.Logf("%d results: load %s, first page %s, filtered page %s (%d match)", rv.Len(), loaded, first, filtered, f.Total)
	for _, fc := range l.Facets {
		var parts []string
		for _, v := range fc.Values {
			parts = append(parts, v.Value+" "+strconv.Itoa(v.Count))
		}
		t.Logf("  %-8s %s", fc.Name, strings.Join(parts, ", "))
	}
}
