//go:build windows

package cxrkit

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/windows"
)

// LockOutput takes an exclusive LockFileEx lock on a hidden lock file
// beside path (".NAME.lock"), so two runs never write the same output at
// once. Windows drops the lock when the handle closes, so a killed run
// leaves nothing stuck; the returned func releases it. A held lock fails
// at once with ErrLocked.
func LockOutput(path string) (release func(), err error) {
	lock, err := lockFileFor(path)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(lock, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	h := windows.Handle(f.Fd())
	var whole windows.Overlapped
	flags := uint32(windows.LOCKFILE_EXCLUSIVE_LOCK | windows.LOCKFILE_FAIL_IMMEDIATELY)
	if err := windows.LockFileEx(h, flags, 0, 1, 0, &whole); err != nil {
		f.Close()
		if errors.Is(err, windows.ERROR_LOCK_VIOLATION) {
			return nil, fmt.Errorf("%s: %w (another cxrkit run is writing it; lock %s)", path, ErrLocked, lock)
		}
		return nil, fmt.Errorf("lock %s: %w", lock, err)
	}
	return func() {
		windows.UnlockFileEx(h, 0, 1, 0, &whole)
		f.Close()
	}, nil
}
