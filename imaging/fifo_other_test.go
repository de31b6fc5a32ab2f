//go:build !unix

package imaging

import "errors"

// mkfifo fails where there are no named pipes; the FIFO tests skip.
func mkfifo(string) error { return errors.New("no named pipes on this system") }
