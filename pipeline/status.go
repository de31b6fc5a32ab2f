package pipeline

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"

	"github.com/cxrkit/cxrkit"
)

// statusFile records how each stage's last run ended, so a stage whose
// last run failed or was partial is never taken as up to date because its
// (incomplete) outputs happen to be newer than its inputs.
const statusFile = "run_status.json"

// Stage statuses of a run summary and of the status file.
const (
	statusRan      = "ran"
	statusUpToDate = "up to date"
	statusFailed   = "failed"
	statusPartial  = "partial"
)

type stageStatus map[string]string

func readStatus(out string) stageStatus {
	st := stageStatus{}
	data, err := os.ReadFile(filepath.Join(out, statusFile))
	if err == nil {
		// A damaged file only costs reruns: unknown means not up to date.
		_ = json.Unmarshal(data, &st)
	}
	return st
}

func (st stageStatus) write(out string) error {
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	return cxrkit.WriteFileAtomic(filepath.Join(out, statusFile), func(w *bufio.Writer) error {
		_, err := w.Write(append(data, '\n'))
		return err
	})
}

// outcome is the status a stage error gives.
func outcome(err error) string {
	switch {
	case err == nil:
		return statusRan
	case errors.Is(err, cxrkit.ErrPartial):
		return statusPartial
	}
	return statusFailed
}
