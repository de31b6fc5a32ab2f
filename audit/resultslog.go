package audit

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/cxrkit/cxrkit"
)

// ErrNotResult marks a line of a results file that is not a complete
// cxrkit result (a cases file given as --out, a hand-edited line).
var ErrNotResult = errors.New("not a complete result line")

// resultKeys are the fields every result line carries.
var resultKeys = []string{"case_id", "image_id", "audit", "parse", "error", "disclaimer"}

// priorLine is what a resumed run needs of one existing result line.
type priorLine struct {
	caseID  string
	errored bool
}

// checkResultLine decides whether data is a complete result, and whether
// it records a failure: a non-null error, or a null audit (no verdict).
func checkResultLine(data []byte) (priorLine, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return priorLine{}, fmt.Errorf("%w: %v", ErrNotResult, err)
	}
	for _, k := range resultKeys {
		if _, ok := m[k]; !ok {
			return priorLine{}, fmt.Errorf("%w: no %q", ErrNotResult, k)
		}
	}
	var id string
	if err := json.Unmarshal(m["case_id"], &id); err != nil || id == "" {
		return priorLine{}, fmt.Errorf("%w: case_id is not a non-empty string", ErrNotResult)
	}
	isNull := func(k string) bool { return string(bytes.TrimSpace(m[k])) == "null" }
	return priorLine{caseID: id, errored: !isNull("error") || isNull("audit")}, nil
}

// priorResults reads an existing results file for a resumed run. It
// returns the cases to skip: every complete result, except errored ones
// unless keepErrors. Errored results that will be retried are removed
// from the file (rewritten atomically) so each case keeps exactly one
// line; a torn last line (a killed run) is cut off. Any other line that is
// not a complete result is an error naming the file and line.
func priorResults(path string, keepErrors bool) (done map[string]bool, retried, keptErrors int, err error) {
	done = map[string]bool{}
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return done, 0, 0, nil
	}
	if err != nil {
		return nil, 0, 0, err
	}
	defer f.Close()
	var keep bytes.Buffer
	changed := false
	first := map[string]int{}
	br := bufio.NewReaderSize(f, 1<<16)
	for line := 1; ; line++ {
		data, rerr := br.ReadBytes('\n')
		if len(bytes.TrimSpace(data)) > 0 {
			p, perr := checkResultLine(bytes.TrimSpace(data))
			switch {
			case data[len(data)-1] != '\n':
				// The last line of a killed run (results are written
				// with their newline in one write): dropped, redone.
				changed = true
			case perr != nil:
				return nil, 0, 0, fmt.Errorf("%s:%d: %w; refusing to resume over it", path, line, perr)
			case first[p.caseID] > 0:
				return nil, 0, 0, fmt.Errorf("%s:%d: case_id %q already has a result at line %d; refusing to resume over a file two runs wrote",
					path, line, p.caseID, first[p.caseID])
			case p.errored && !keepErrors:
				retried++
				changed = true
			default:
				first[p.caseID] = line
				if p.errored {
					keptErrors++
				}
				done[p.caseID] = true
				keep.Write(bytes.TrimRight(data, "\n"))
				keep.WriteByte('\n')
			}
		}
		if errors.Is(rerr, io.EOF) {
			break
		}
		if rerr != nil {
			return nil, 0, 0, fmt.Errorf("%s:%d: %w", path, line, rerr)
		}
	}
	if changed {
		err := cxrkit.WriteFileAtomic(path, func(w *bufio.Writer) error {
			_, err := w.Write(keep.Bytes())
			return err
		})
		if err != nil {
			return nil, 0, 0, err
		}
	}
	return done, retried, keptErrors, nil
}
