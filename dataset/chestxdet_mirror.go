package dataset

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"sync"

	"github.com/apache/arrow/go/v17/parquet/file"
)

// shardName matches a Hugging Face parquet shard:
// <split>-NNNNN-of-NNNNN.parquet. It is compiled on first use, not at
// start-up: every cxrkit process would pay for it.
var shardName = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^([A-Za-z0-9_.]+)-(\d{5})-of-(\d{5})\.parquet$`)
})

// mirrorShard is one parquet shard of a split.
type mirrorShard struct {
	path         string
	split        string
	index, count int
}

func parseShard(path string) (mirrorShard, bool) {
	m := shardName().FindStringSubmatch(filepath.Base(path))
	if m == nil {
		return mirrorShard{}, false
	}
	i, _ := strconv.Atoi(m[2])
	n, _ := strconv.Atoi(m[3])
	return mirrorShard{path: path, split: m[1], index: i, count: n}, true
}

// readChestXDetMirror reads the Hugging Face mirror's folder: every split's
// shards (data/<split>-NNNNN-of-NNNNN.parquet) in shard order, with class
// names from id2label.json when present.
func readChestXDetMirror(ctx context.Context, dir string, emit func(row) error) error {
	class, err := readID2Label(dir)
	if err != nil {
		return err
	}
	var shards []mirrorShard
	err = filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if s, ok := parseShard(p); ok && !e.IsDir() {
			shards = append(shards, s)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(shards) == 0 {
		return fmt.Errorf("%s: not a ChestX-Det mirror folder: want data/<split>-NNNNN-of-NNNNN.parquet files (and id2label.json)", dir)
	}
	slices.SortFunc(shards, func(a, b mirrorShard) int {
		return cmp.Or(cmp.Compare(a.split, b.split), cmp.Compare(a.index, b.index))
	})
	offset := 0
	for i, s := range shards {
		if i == 0 || s.split != shards[i-1].split {
			if err := checkSplitComplete(shards, s.split); err != nil {
				return fmt.Errorf("%s: %w", dir, err)
			}
			offset = 0
		}
		n, err := parquetRows(s.path)
		if err != nil {
			return err
		}
		pq := chestXDetParquet{split: s.split, offset: offset, class: class}
		if err := pq.read(ctx, s.path, withFile(s.path, emit)); err != nil {
			return err
		}
		offset += n
	}
	return nil
}

// checkSplitComplete refuses a split with missing or duplicated shards:
// row names count across shards, so a gap would misname every later row.
func checkSplitComplete(shards []mirrorShard, split string) error {
	var got []mirrorShard
	for _, s := range shards {
		if s.split == split {
			got = append(got, s)
		}
	}
	for i, s := range got {
		if s.index != i || s.count != len(got) {
			return fmt.Errorf("split %s has shards %d..%d of %d: want each of 0..%d exactly once", split, got[0].index, got[len(got)-1].index, s.count, s.count-1)
		}
	}
	return nil
}

// shardOf prepares the reader of one parquet file. A mirror shard is named
// by split; a later shard needs its earlier siblings beside it, since its
// rows are numbered after theirs.
func shardOf(path string) (chestXDetParquet, error) {
	class, err := readID2Label(filepath.Dir(filepath.Dir(path)))
	if err != nil {
		return chestXDetParquet{}, err
	}
	s, ok := parseShard(path)
	if !ok {
		return chestXDetParquet{split: trimExt(filepath.Base(path)), class: class}, nil
	}
	offset := 0
	for i := range s.index {
		prev := filepath.Join(filepath.Dir(path), fmt.Sprintf("%s-%05d-of-%05d.parquet", s.split, i, s.count))
		n, err := parquetRows(prev)
		if err != nil {
			return chestXDetParquet{}, fmt.Errorf("%s: rows are named %s-<index> counting from shard 0, and shard %d is needed: %w (give the mirror's folder)", path, s.split, i, err)
		}
		offset += n
	}
	return chestXDetParquet{split: s.split, offset: offset, class: class}, nil
}

func trimExt(name string) string { return name[:len(name)-len(filepath.Ext(name))] }

func parquetRows(path string) (int, error) {
	var pf *file.Reader
	err := arrowSafe(func() (err error) { pf, err = openParquetFile(path); return err })
	if err != nil {
		return 0, inFile(path, "", err)
	}
	defer pf.Close()
	return int(pf.NumRows()), nil
}

// readID2Label reads dir/id2label.json ({"1": "Atelectasis", ...}); without
// it, the ids are the 13 classes in alphabetical order.
func readID2Label(dir string) (func(int) (string, bool), error) {
	path := filepath.Join(dir, "id2label.json")
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return chestXDetClass, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// 254 class names fit in a few kilobytes: the file is read only up
	// to a bound, never whole whatever its size.
	data, err := io.ReadAll(io.LimitReader(f, maxJSONElementBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(data) > maxJSONElementBytes {
		return nil, fmt.Errorf("%s: larger than %d bytes; want {\"<id>\": \"<class name>\"} for at most 254 ids", path, maxJSONElementBytes)
	}
	var raw map[string]string
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("%s: want {\"<id>\": \"<class name>\"}: %w", path, err)
	}
	names := map[int]string{}
	for k, v := range raw {
		id, err := strconv.Atoi(k)
		if err != nil || id <= 0 || id >= gridBackground || v == "" {
			return nil, fmt.Errorf("%s: id %q → %q: want ids 1..254 with a class name", path, k, v)
		}
		names[id] = v
	}
	return func(id int) (string, bool) {
		n, ok := names[id]
		return n, ok
	}, nil
}

// withFile makes rows name file in rejects (a folder's rows come from
// several files).
func withFile(file string, emit func(row) error) func(row) error {
	return func(r row) error {
		r.file = file
		return emit(r)
	}
}
