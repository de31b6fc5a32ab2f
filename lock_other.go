//go:build !unix && !windows

package cxrkit

import (
	"errors"
	"fmt"
	"os"
)

// LockOutput is the best effort for platforms with neither flock nor
// LockFileEx (plan9, js, wasip1): it creates the hidden lock file beside
// path (".NAME.lock") with O_EXCL and removes it on release. Unlike the
// unix and windows locks it does not go with the process: a killed run
// leaves the file behind, and the error names it so a person can delete it.
func LockOutput(path string) (release func(), err error) {
	lock, err := lockFileFor(path)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(lock, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("%s: %w (another cxrkit run is writing it, or a killed run left %s: delete it if no run is active)", path, ErrLocked, lock)
		}
		return nil, fmt.Errorf("lock %s: %w", lock, err)
	}
	f.Close()
	return func() { os.Remove(lock) }, nil
}
