package infer

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/configs"
)

// preparedImages writes n distinct small PNGs, prepares them all with g,
// then overwrites every file with zeros of the same size and time: the
// cache key is unchanged, so an image still in the cache encodes and one
// that was evicted fails to decode.
func preparedImages(t *testing.T, g *Grounder, n int) []cxrkit.ImageRef {
	t.Helper()
	dir := t.TempDir()
	refs := make([]cxrkit.ImageRef, n)
	for i := range refs {
		img := image.NewGray(image.Rect(0, 0, 16, 16))
		img.Pix[i%len(img.Pix)] = uint8(i + 1)
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, fmt.Sprintf("%03d.png", i))
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		refs[i] = cxrkit.ImageRef{Source: "test", ImageID: fmt.Sprint(i), Path: path}
		if err := g.Prepare(t.Context(), refs[i]); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range refs {
		st, err := os.Stat(r.Path)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(r.Path, make([]byte, st.Size()), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(r.Path, st.ModTime(), st.ModTime()); err != nil {
			t.Fatal(err)
		}
	}
	return refs
}

func cacheTestGrounder(t *testing.T) *Grounder {
	t.Helper()
	prompt, err := configs.LoadPrompt(configs.PromptGrounding, "")
	if err != nil {
		t.Fatal(err)
	}
	g, err := NewGrounder(GrounderOptions{Chat: NewMemo(nil, 1), Prompt: prompt, Vocab: vocab(t)})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// TestPreparedImagesStayUntilGrounded: every prepared image is still
// encoded when its grounding comes, however many others were prepared
// meanwhile (a fixed 64-entry LRU re-encoded them above ~60 in flight).
func TestPreparedImagesStayUntilGrounded(t *testing.T) {
	g := cacheTestGrounder(t)
	g.KeepPrepared(50)
	const prepared = 100
	for i, r := range preparedImages(t, g, prepared) {
		if _, err := g.encode(t.Context(), r, pinGround); err != nil {
			t.Fatalf("image %d of %d prepared was evicted before its grounding: %v", i, prepared, err)
		}
	}
}

func cacheKeys(n int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprint("image-", i)
	}
	return keys
}

// TestEncodeCacheKeepsFewGroundedImages: once grounded, images are kept
// only up to max, the least recently used going first.
func TestEncodeCacheKeepsFewGroundedImages(t *testing.T) {
	c := newEncodeCache(encodeCacheSlack)
	keys := cacheKeys(3 * encodeCacheSlack)
	for _, k := range keys {
		c.put(k, Encoded{MIME: k}, pinPrepare)
		if _, ok := c.get(k, pinGround); !ok {
			t.Fatalf("%s lost before its grounding", k)
		}
	}
	c.put("one more", Encoded{}, pinNone)
	if n := c.order.Len(); n != encodeCacheSlack {
		t.Errorf("%d entries after every image was grounded, want %d", n, encodeCacheSlack)
	}
	if _, ok := c.get(keys[0], pinNone); ok {
		t.Error("the least recently used grounded image is still cached")
	}
	if enc, ok := c.get(keys[len(keys)-1], pinNone); !ok || enc.MIME != keys[len(keys)-1] {
		t.Error("the most recently grounded image is not cached")
	}
}

// TestEncodeCacheBoundsLeakedPins: prepares whose grounding never comes
// (a cancelled run) cannot grow the cache past twice its window.
func TestEncodeCacheBoundsLeakedPins(t *testing.T) {
	c := newEncodeCache(encodeCacheSlack)
	c.atLeast(20)
	for _, k := range cacheKeys(200) {
		c.put(k, Encoded{}, pinPrepare)
	}
	if n := c.order.Len(); n != c.hardMax() {
		t.Errorf("%d entries after 200 pinned puts, want %d", n, c.hardMax())
	}
}

// TestEncodeCacheKeepsFewSentImagesInABatch: a batch's window bounds the
// pinned images, not the sent ones: after every prepared image has been
// grounded, only encodeCacheSlack stay, however large the window (review
// 25 finding 1: a window of 64 kept ~70 sent images).
func TestEncodeCacheKeepsFewSentImagesInABatch(t *testing.T) {
	c := newEncodeCache(encodeCacheSlack)
	c.atLeast(64)
	keys := cacheKeys(200)
	const ahead = 40 // prepared and not yet grounded
	for i, k := range keys {
		c.put(k, Encoded{}, pinPrepare)
		if i >= ahead {
			if _, ok := c.get(keys[i-ahead], pinGround); !ok {
				t.Fatalf("%s lost before its grounding", keys[i-ahead])
			}
		}
		if n := c.order.Len(); n > min(i+1, ahead)+encodeCacheSlack {
			t.Fatalf("after %d prepares: %d entries, want at most %d pinned + %d", i+1, n, ahead, encodeCacheSlack)
		}
	}
	for _, k := range keys[len(keys)-ahead:] {
		c.get(k, pinGround)
	}
	if n := c.order.Len(); n != encodeCacheSlack {
		t.Errorf("%d entries once every image was grounded, want %d", n, encodeCacheSlack)
	}
}

// TestEncodeCachePinsCountEachPrepare: an image prepared for two cases
// stays pinned until both are grounded.
func TestEncodeCachePinsCountEachPrepare(t *testing.T) {
	c := newEncodeCache(1)
	c.put("x", Encoded{}, pinPrepare)
	c.get("x", pinPrepare)
	c.get("x", pinGround)
	c.put("y", Encoded{}, pinNone)
	if _, ok := c.get("x", pinNone); !ok {
		t.Fatal("x evicted with one prepare still waiting for its grounding")
	}
	c.get("x", pinGround)
	c.put("z", Encoded{}, pinNone)
	if _, ok := c.get("x", pinNone); ok {
		t.Error("x kept after both its groundings, past the cache's size")
	}
}

// TestKeepPreparedNeverShrinks: a second batch with a smaller window does
// not cut the bound of one already running on the same grounder.
func TestKeepPreparedNeverShrinks(t *testing.T) {
	g := cacheTestGrounder(t)
	g.KeepPrepared(40)
	g.KeepPrepared(1)
	if g.cache.window != 40 {
		t.Errorf("window %d after KeepPrepared(40) then (1), want 40", g.cache.window)
	}
}
