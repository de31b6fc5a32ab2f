//go:build !unix

package imaging

import "time"

// cpuTime is not measured on this system: the cpu-µs metrics read 0.
func cpuTime() time.Duration { return 0 }
