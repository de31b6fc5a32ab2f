package sftexport

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// exchangeDirs puts the folder src at dst in one atomic step: with
// RENAME_EXCHANGE the old dst ends up at src, so no instant exists where
// dst is missing or mixed. Without an old dst, or on file systems that
// cannot exchange, it falls back to renameAside.
func exchangeDirs(src, dst string) error {
	err := unix.Renameat2(unix.AT_FDCWD, src, unix.AT_FDCWD, dst, unix.RENAME_EXCHANGE)
	if err == nil {
		return nil
	}
	if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSYS) {
		return renameAside(src, dst)
	}
	return &os.LinkError{Op: "exchange", Old: src, New: dst, Err: err}
}
