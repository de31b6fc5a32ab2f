package infer

import (
	"container/list"
	"sync"
)

// encodeCache keeps encoded images between a batch's look-ahead, which
// prepares an image, and the worker that sends it; and the last few sent
// ones, because synthetic cases audit the same image several times.
// Decoding and scaling is most of the client's CPU time.
//
// A prepared image is pinned until it is grounded, so however long its
// worker takes to get to it (an LLM draft reader can take seconds), the
// images prepared meanwhile cannot push it out and have it decoded twice.
// Pins count per image, not per case: a grounding releases one pin of its
// image, whoever took it. Of the unpinned (sent) entries only the keep
// most recently used stay; each is a whole encoded image (~300 KB at
// 896 px), and more of them only make the heap, and the fresh pages a
// run faults in, bigger.
type encodeCache struct {
	mu     sync.Mutex
	keep   int        // unpinned entries kept
	window int        // pinned entries a batch expects at once (atLeast)
	order  *list.List // front: most recently used
	items  map[string]*list.Element
}

type encodeEntry struct {
	key  string
	enc  Encoded
	pins int // prepares not yet followed by their grounding
}

// pinChange is what an encode does to its image's pins: a prepare pins
// it until the grounding that sends it, which releases the pin.
type pinChange int

const (
	pinPrepare pinChange = 1
	pinNone    pinChange = 0
	pinGround  pinChange = -1
)

// repin applies change and reports whether it released the last pin.
func (e *encodeEntry) repin(change pinChange) (released bool) {
	was := e.pins
	e.pins = max(0, e.pins+int(change))
	return was > 0 && e.pins == 0
}

// encodeCacheSlack is how many unpinned encoded images the cache keeps:
// enough for the next cases of an image just grounded (synth writes an
// image's cases one after another).
const encodeCacheSlack = 8

func newEncodeCache(keep int) *encodeCache {
	return &encodeCache{keep: keep, order: list.New(), items: map[string]*list.Element{}}
}

// atLeast says a batch expects up to n pinned images at once; it never
// lowers the figure, so one batch cannot shrink the bound of another
// sharing the grounder.
func (c *encodeCache) atLeast(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.window = max(c.window, n)
}

// hardMax bounds the cache when pins leak: a prepare whose grounding never
// came (a cancelled run) must not keep its image for ever.
func (c *encodeCache) hardMax() int { return 2 * (c.window + c.keep) }

// get returns a cached image and applies pin to it.
func (c *encodeCache) get(key string, pin pinChange) (Encoded, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.items[key]
	if !ok {
		return Encoded{}, false
	}
	c.order.MoveToFront(e)
	entry := e.Value.(*encodeEntry)
	if entry.repin(pin) {
		c.evict() // one more unpinned entry
	}
	return entry.enc, true
}

// put adds an image just encoded, pinned when a prepare encoded it (a
// grounding that had to encode its image has no pin to release). An
// image another caller put meanwhile keeps its encoding and takes the pin.
func (c *encodeCache) put(key string, enc Encoded, pin pinChange) {
	pin = max(pin, pinNone)
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[key]; ok {
		e.Value.(*encodeEntry).repin(pin)
		return
	}
	entry := &encodeEntry{key: key, enc: enc}
	entry.repin(pin)
	c.items[key] = c.order.PushFront(entry)
	c.evict()
}

// evict keeps the keep most recently used unpinned entries and drops the
// others; then, only if leaked pins have grown the cache past hardMax,
// the least recently used entries whatever their pins.
func (c *encodeCache) evict() {
	unpinned := 0
	for e := c.order.Front(); e != nil; {
		next := e.Next()
		if entry := e.Value.(*encodeEntry); entry.pins == 0 {
			if unpinned++; unpinned > c.keep {
				c.remove(e)
			}
		}
		e = next
	}
	for c.order.Len() > c.hardMax() {
		c.remove(c.order.Back())
	}
}

func (c *encodeCache) remove(e *list.Element) {
	c.order.Remove(e)
	delete(c.items, e.Value.(*encodeEntry).key)
}
