//go:build unix

package audit_test

import (
	"os/signal"
	"syscall"
	"testing"
)

// limitFileSize makes writes beyond n bytes fail with EFBIG (SIGXFSZ
// ignored), as a full disk would; the test skips where that is refused.
func limitFileSize(t *testing.T, n uint64) {
	signal.Ignore(syscall.SIGXFSZ)
	var lim syscall.Rlimit
	syscall.Getrlimit(syscall.RLIMIT_FSIZE, &lim)
	lim.Cur = n
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		t.Skip(err)
	}
}
