//go:build unix

package audit_test

import (
	"syscall"
	"time"
)

// cpuTime is the process's user and system CPU time so far, for the
// benchmarks' cpu-per-case figures (0 where getrusage does not exist).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// minorFaults is the number of page faults the process has taken that
// needed no disk read: on a VM each costs microseconds, so a benchmark
// that touches fresh memory per case pays for it.
func minorFaults() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return int64(ru.Minflt) // int32 on 386
}
