package imaging

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"time"
)

// ArchiveCache keeps zip archives open between image reads. Opening an
// archive reads its whole central directory, which for NIH's 5,000-member
// archives costs about twenty times reading one image from a plain file
// (BenchmarkReadZipMember); a stage reading many members (export, the
// perceptual hashes of prepare) keeps one cache for its run and closes
// it at the end. Options.Archives set to a cache makes every opener use
// it. An archive whose size or modification time changed is reopened.
// Safe for concurrent use.
type ArchiveCache struct {
	mu    sync.Mutex
	max   int
	tick  uint64
	open  map[string]*cachedArchive
	close bool
	opens int64
}

type cachedArchive struct {
	archive *Archive
	size    int64
	mod     time.Time
	refs    int
	used    uint64
	evicted bool
}

// NewArchiveCache keeps up to n archives open (NIH has twelve).
func NewArchiveCache(n int) *ArchiveCache {
	return &ArchiveCache{max: max(n, 1), open: map[string]*cachedArchive{}}
}

// ErrCacheClosed is returned by a closed cache.
var ErrCacheClosed = errors.New("archive cache is closed")

// acquire returns the open archive at path, opening it when needed; the
// caller calls release when done with it.
func (c *ArchiveCache) acquire(path string, o Options) (*Archive, func(), error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.close {
		return nil, nil, fmt.Errorf("%s: %w", path, ErrCacheClosed)
	}
	e := c.open[path]
	if e != nil && (e.size != st.Size() || !e.mod.Equal(st.ModTime()) || e.archive.budget != o.withDefaults()) {
		c.evict(path, e)
		e = nil
	}
	if e == nil {
		// Opening under the lock keeps one open per archive; it reads only
		// the central directory.
		a, err := o.OpenArchive(path)
		if err != nil {
			return nil, nil, err
		}
		c.opens++
		e = &cachedArchive{archive: a, size: st.Size(), mod: st.ModTime()}
		c.open[path] = e
		for len(c.open) > c.max {
			c.evictOldest(path)
		}
	}
	c.tick++
	e.used = c.tick
	e.refs++
	return e.archive, func() { c.release(e) }, nil
}

func (c *ArchiveCache) release(e *cachedArchive) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e.refs--
	if e.evicted && e.refs == 0 {
		e.archive.Close()
	}
}

// evict forgets an archive; it is closed once no reader uses it.
func (c *ArchiveCache) evict(path string, e *cachedArchive) {
	delete(c.open, path)
	e.evicted = true
	if e.refs == 0 {
		e.archive.Close()
	}
}

// evictOldest evicts the least recently used archive other than keep.
func (c *ArchiveCache) evictOldest(keep string) {
	var oldest string
	var used uint64
	for p, e := range c.open {
		if p != keep && (oldest == "" || e.used < used) {
			oldest, used = p, e.used
		}
	}
	if oldest != "" {
		c.evict(oldest, c.open[oldest])
	}
}

// Opens is how many times the cache has opened an archive (read its
// central directory): the cost a cache exists to save.
func (c *ArchiveCache) Opens() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.opens
}

// Close closes every archive once its readers are done; the cache opens
// no more.
func (c *ArchiveCache) Close() error {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.close = true
	for p, e := range c.open {
		c.evict(p, e)
	}
	return nil
}
