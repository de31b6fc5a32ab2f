package cxrkit

import (
	"errors"
	"os"
	"path/filepath"
)

// ErrLocked marks an output another process is writing.
var ErrLocked = errors.New("locked by another process")

// lockFileFor creates path's directory and names the hidden lock file
// beside path (".NAME.lock") that every platform's LockOutput uses.
func lockFileFor(path string) (string, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	return filepath.Join(dir, "."+filepath.Base(path)+".lock"), nil
}
