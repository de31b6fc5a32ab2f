//go:build !unix

package audit_test

import "time"

// cpuTime is 0 where getrusage does not exist: the benchmarks then
// report no CPU figure worth reading, but build and run.
func cpuTime() time.Duration { return 0 }

// minorFaults is 0 where getrusage does not exist.
func minorFaults() int64 { return 0 }
