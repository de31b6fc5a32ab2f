package sftexport

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"

	"github.com/cxrkit/cxrkit"
	"github.com/parquet-go/parquet-go"
)

// Row-group limits: a row group is flushed at whichever comes first, so
// memory stays bounded whatever the image sizes.
const (
	rowGroupRows  = 32
	rowGroupBytes = 16 << 20
)

// shardSet writes one task/split as a sequence of parquet shards under
// hidden temporary names; commit gives them their final
// "<split>-NNNNN-of-NNNNN.parquet" names once every shard is complete.
type shardSet struct {
	dir, split string
	maxRows    int
	meta       string
	tmp        []string
	file       *os.File
	format     Format
	w          rowWriter
	shardRows  int
	groupRows  int
	groupBytes int64
	rows       int
}

func newShardSet(dir, split string, maxRows int, meta string, format Format) *shardSet {
	return &shardSet{dir: dir, split: split, maxRows: maxRows, meta: meta, format: format}
}

// rowWriter writes rows in one export format.
type rowWriter interface {
	write(Row) error
	Flush() error
	Close() error
}

type messagesWriter struct{ *parquet.GenericWriter[Row] }

func (w messagesWriter) write(r Row) error { _, err := w.Write([]Row{r}); return err }

type promptCompletionWriter struct {
	*parquet.GenericWriter[promptCompletionRow]
}

func (w promptCompletionWriter) write(r Row) error {
	_, err := w.Write([]promptCompletionRow{asPromptCompletion(r)})
	return err
}

func (s *shardSet) open() error {
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(s.dir, "."+s.split+"-shard-*.parquet.tmp")
	if err != nil {
		return err
	}
	s.file, s.shardRows = f, 0
	s.tmp = append(s.tmp, f.Name())
	opts := []parquet.WriterOption{
		parquet.MaxRowsPerRowGroup(rowGroupRows),
		parquet.DataPageVersion(1),
		parquet.SkipPageStatistics("images", "list", "element", "bytes"),
		parquet.SkipPageBounds("images", "list", "element", "bytes"),
		parquet.KeyValueMetadata("huggingface", s.meta),
		parquet.CreatedBy("cxrkit", cxrkit.Version, ""),
	}
	if s.format == FormatPromptCompletion {
		s.w = promptCompletionWriter{parquet.NewGenericWriter[promptCompletionRow](f, opts...)}
	} else {
		s.w = messagesWriter{parquet.NewGenericWriter[Row](f, opts...)}
	}
	return nil
}

// write appends one row, opening and closing shards and flushing row
// groups as limits are reached.
func (s *shardSet) write(r Row, blobBytes int) error {
	if s.w == nil {
		if err := s.open(); err != nil {
			return err
		}
	}
	if err := s.w.write(r); err != nil {
		return fmt.Errorf("%s: %w", s.file.Name(), err)
	}
	s.rows++
	s.shardRows++
	s.groupRows++
	s.groupBytes += int64(blobBytes)
	if s.groupRows >= rowGroupRows || s.groupBytes >= rowGroupBytes {
		if err := s.w.Flush(); err != nil {
			return err
		}
		s.groupRows, s.groupBytes = 0, 0
	}
	if s.shardRows >= s.maxRows {
		return s.closeShard()
	}
	return nil
}

func (s *shardSet) closeShard() error {
	if s.w == nil {
		return nil
	}
	err := s.w.Close()
	if err == nil {
		err = s.file.Sync()
	}
	if cerr := s.file.Close(); err == nil {
		err = cerr
	}
	s.w, s.file, s.groupRows, s.groupBytes = nil, nil, 0, 0
	return err
}

// abort removes the temporary shards.
func (s *shardSet) abort() {
	if s.file != nil {
		s.file.Close()
	}
	for _, t := range s.tmp {
		os.Remove(t)
	}
}

// shardName is the final name of shard i of n.
func shardName(split string, i, n int) string {
	return fmt.Sprintf("%s-%05d-of-%05d.parquet", split, i, n)
}

// commit renames the temporary shards to their final names.
func (s *shardSet) commit() ([]string, error) {
	if err := s.closeShard(); err != nil {
		return nil, err
	}
	var out []string
	for i, t := range s.tmp {
		final := filepath.Join(s.dir, shardName(s.split, i, len(s.tmp)))
		if err := os.Rename(t, final); err != nil {
			return out, err
		}
		out = append(out, final)
	}
	return out, nil
}

var shardRE = regexp.MustCompile(`^[A-Za-z0-9_.]+-\d{5}-of-\d{5}\.parquet$`)
