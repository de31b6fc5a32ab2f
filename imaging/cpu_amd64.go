//go:build !purego

package imaging

import "golang.org/x/sys/cpu"

// useAVX2 says whether the AVX2 kernels (adler32AVX2, verticalRowAVX2,
// horizontalAVX2) may run. It is the package's one variable besides the
// scratch pools: set once at start-up from the CPU's and OS's features
// and only read after, a fact about the machine rather than state; no
// result depends on it, since each kernel and its pure-Go twin agree on
// every input (the tests check both, and -tags purego builds the Go code
// alone).
var useAVX2 = cpu.X86.HasAVX2
