//go:build unix

package imaging

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time (user and system) the test process has used,
// which a loaded machine disturbs less than the wall clock benchmarks
// report.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
