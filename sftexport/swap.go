package sftexport

import (
	"errors"
	"os"
)

// renameAside moves dst (if any) to src+".old", then src to dst, then the
// old folder back to src, so the caller deletes src as with an exchange.
// A kill between the renames leaves dst missing, never mixed; the next run
// removes the leftovers.
func renameAside(src, dst string) error {
	old := src + ".old"
	hadOld := true
	if err := os.Rename(dst, old); err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			return err
		}
		hadOld = false
	}
	if err := os.Rename(src, dst); err != nil {
		if hadOld {
			os.Rename(old, dst)
		}
		return err
	}
	if hadOld {
		return os.Rename(old, src)
	}
	return nil
}
