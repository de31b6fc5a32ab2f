package infer

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// Cache stores responses by request hash.
type Cache interface {
	Get(key string) (Response, bool)
	Put(key string, r Response)
	// Delete drops an answer its caller could not use, so that a rerun
	// asks the model again instead of failing on the stored answer forever.
	Delete(key string)
}

// BoltCache is a response cache in one bbolt file.
type BoltCache struct {
	db *bolt.DB
	// Warning, when set, says the cache file was damaged, moved aside and
	// started afresh; the caller reports it once.
	Warning string
}

var bucket = []byte("responses")

// DefaultCacheDir is cxrkit's folder in the user's cache directory.
func DefaultCacheDir() (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(base, "cxrkit"), nil
}

// OpenCache opens (creating) the cache in dir.
func OpenCache(dir string) (*BoltCache, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	path := filepath.Join(dir, "responses.bbolt")
	db, err := openBolt(path)
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("cache %s is in use by another cxrkit process; give --cache DIR or --no-cache", path)
	}
	if err != nil && !isDamaged(err) {
		// Permission denied, a read-only file system and the like say
		// nothing about the file: moving it aside would lose a healthy
		// cache, so the error goes back as it is.
		return nil, fmt.Errorf("cache %s: %w", path, err)
	}
	warning := ""
	if err != nil {
		// A damaged cache is only lost speed: keep it for inspection and
		// start a new one, never turn it into results or a crash.
		aside := fmt.Sprintf("%s.damaged-%s", path, time.Now().UTC().Format("20060102T150405"))
		if rerr := os.Rename(path, aside); rerr != nil {
			return nil, fmt.Errorf("cache %s is damaged (%v) and could not be moved aside: %w", path, err, rerr)
		}
		warning = fmt.Sprintf("response cache %s was damaged (%v); moved to %s and started afresh", path, err, aside)
		if db, err = openBolt(path); err != nil {
			return nil, fmt.Errorf("cache %s: %w", path, err)
		}
	}
	return &BoltCache{db: db, Warning: warning}, nil
}

// errDamaged marks a bbolt panic on the cache file, recovered by openBolt.
var errDamaged = errors.New("damaged file")

// isDamaged reports whether err shows the cache file itself is corrupt, as
// opposed to unreachable: only then is it moved aside.
func isDamaged(err error) bool {
	for _, target := range []error{errDamaged, bolterrors.ErrInvalid, bolterrors.ErrChecksum,
		bolterrors.ErrVersionMismatch, bolterrors.ErrInvalidMapping, bolterrors.ErrIncompatibleValue} {
		if errors.Is(err, target) {
			return true
		}
	}
	return false
}

// openBolt opens the cache file and its bucket, turning bbolt's panics on
// a damaged file into errors.
func openBolt(path string) (db *bolt.DB, err error) {
	defer func() {
		if p := recover(); p != nil {
			if db != nil {
				db.Close()
			}
			db, err = nil, fmt.Errorf("%w: %v", errDamaged, p)
		}
	}()
	db, err = bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		return nil, err
	}
	err = db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucketIfNotExists(bucket); return err })
	if err == nil {
		// Touch every page once, so damage shows now rather than as a
		// panic in the middle of a run.
		err = db.View(func(tx *bolt.Tx) error { return tx.Bucket(bucket).ForEach(func(_, _ []byte) error { return nil }) })
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// Get returns a cached response; anything unreadable is a miss.
func (c *BoltCache) Get(key string) (r Response, found bool) {
	defer func() {
		if recover() != nil {
			r, found = Response{}, false
		}
	}()
	_ = c.db.View(func(tx *bolt.Tx) error { // an unreadable entry is a miss
		if v := tx.Bucket(bucket).Get([]byte(key)); v != nil {
			found = json.Unmarshal(v, &r) == nil
		}
		return nil
	})
	return r, found
}

// Put stores a response; errors are ignored (a cache miss is harmless).
func (c *BoltCache) Put(key string, r Response) {
	data, err := json.Marshal(r)
	if err != nil {
		return
	}
	defer func() { _ = recover() }() // a damaged page: the response is just not cached
	_ = c.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucket).Put([]byte(key), data) })
}

// Delete drops a stored response; errors are ignored as for Put.
func (c *BoltCache) Delete(key string) {
	defer func() { _ = recover() }()
	_ = c.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucket).Delete([]byte(key)) })
}

// Close closes the cache file.
func (c *BoltCache) Close() error { return c.db.Close() }
