package cxrkit

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
)

// maxLineBytes bounds one JSONL line; longer lines are an error, not an
// unbounded allocation.
const maxLineBytes = 64 << 20

// ReadJSONL streams r one JSON value per line, calling fn with the 1-based
// line number. Blank lines are skipped. name labels errors ("cases.jsonl:12:
// ..."). A non-nil error from fn stops the read and is returned wrapped.
func ReadJSONL[T any](r io.Reader, name string, fn func(line int, v *T) error) error {
	br := bufio.NewReaderSize(r, 1<<16)
	var buf []byte
	for line := 1; ; line++ {
		var err error
		buf, err = readLine(br, buf[:0])
		if len(bytes.TrimSpace(buf)) > 0 {
			var v T
			if uerr := json.Unmarshal(buf, &v); uerr != nil {
				return fmt.Errorf("%s:%d: %w", name, line, uerr)
			}
			if ferr := fn(line, &v); ferr != nil {
				return fmt.Errorf("%s:%d: %w", name, line, ferr)
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s:%d: %w", name, line, err)
		}
	}
}

func readLine(br *bufio.Reader, buf []byte) ([]byte, error) {
	for {
		chunk, err := br.ReadSlice('\n')
		buf = append(buf, chunk...)
		if len(buf) > maxLineBytes {
			return buf, fmt.Errorf("line longer than %d bytes", maxLineBytes)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		return buf, err
	}
}

// ReadJSONLFile is ReadJSONL on a file, naming the file in errors.
func ReadJSONLFile[T any](path string, fn func(line int, v *T) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return ReadJSONL(f, path, fn)
}

// LoadJSONL reads a whole JSONL file into memory; for small files only
// (corpora and case files are streamed with ReadJSONLFile).
func LoadJSONL[T any](path string) ([]T, error) {
	var out []T
	err := ReadJSONLFile(path, func(_ int, v *T) error {
		out = append(out, *v)
		return nil
	})
	return out, err
}

// NewJSONLEncoder returns an encoder writing one compact JSON value per
// line, without HTML escaping (drafts contain "<" and "&").
func NewJSONLEncoder(w io.Writer) *json.Encoder {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc
}
