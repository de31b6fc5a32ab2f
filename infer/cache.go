package infer

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Cache stores responses by request hash.
type Cache interface {
	Get(key string) (Response, bool)
	Put(key string, r Response)
}

// BoltCache is a response cache in one bbolt file.
type BoltCache struct{ db *bolt.DB }

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
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second})
	if errors.Is(err, bolt.ErrTimeout) {
		return nil, fmt.Errorf("cache %s is in use by another cxrkit process; give --cache DIR or --no-cache", path)
	}
	if err != nil {
		return nil, fmt.Errorf("cache %s: %w", path, err)
	}
	if err := db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucketIfNotExists(bucket); return err }); err != nil {
		db.Close()
		return nil, err
	}
	return &BoltCache{db: db}, nil
}

// Get returns a cached response.
func (c *BoltCache) Get(key string) (Response, bool) {
	var r Response
	found := false
	c.db.View(func(tx *bolt.Tx) error {
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
	c.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucket).Put([]byte(key), data) })
}

// Close closes the cache file.
func (c *BoltCache) Close() error { return c.db.Close() }
