//go:build unix

package cxrkit

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// LockOutput takes an exclusive flock on a hidden lock file beside path
// (".NAME.lock"), so two runs never write the same output at once. The
// lock goes with the process, so a killed run leaves nothing stuck; the
// returned func releases it. A held lock fails at once with ErrLocked.
func LockOutput(path string) (release func(), err error) {
	lock, err := lockFileFor(path)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(lock, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, fmt.Errorf("%s: %w (another cxrkit run is writing it; lock %s)", path, ErrLocked, lock)
		}
		return nil, fmt.Errorf("lock %s: %w", lock, err)
	}
	return func() {
		_ = unix.Flock(int(f.Fd()), unix.LOCK_UN) // closing the file releases it anyway
		f.Close()
	}, nil
}
