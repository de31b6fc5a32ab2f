package sftexport

import (
	"errors"
	"fmt"
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
			if rerr := os.Rename(old, dst); rerr != nil {
				return fmt.Errorf("%w; putting the old %s back failed too: %w", err, dst, rerr)
			}
		}
		return err
	}
	if hadOld {
		return os.Rename(old, src)
	}
	return nil
}
