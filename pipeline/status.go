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

// StageStatus is how a stage of a run ended, in the run summary and the
// status file.
type StageStatus string

// The stage statuses.
const (
	StatusRan      StageStatus = "ran"
	StatusUpToDate StageStatus = "up to date"
	StatusFailed   StageStatus = "failed"
	// StatusPartial is a stage that finished with errors within its
	// limits, or stopped the run on too many: retried next run.
	StatusPartial StageStatus = "partial"
)

type stageStatus map[string]StageStatus

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
func outcome(err error) StageStatus {
	switch {
	case err == nil:
		return StatusRan
	case errors.Is(err, cxrkit.ErrPartial):
		return StatusPartial
	}
	return StatusFailed
}
