//go:build !purego

package imaging

import (
	"os"
	"testing"
)

// envRequireAVX2, when set (CI sets it on amd64), turns a missing AVX2
// into a failure: otherwise the kernels' tests skip and the dispatch
// tests pass on the Go code alone, and a green run would say nothing
// about the assembly.
const envRequireAVX2 = "CXRKIT_REQUIRE_AVX2"

// requireAVX2 skips a test of an AVX2 kernel on a CPU without AVX2,
// unless envRequireAVX2 asks for it to fail.
func requireAVX2(t *testing.T) {
	t.Helper()
	if useAVX2 {
		return
	}
	if os.Getenv(envRequireAVX2) != "" {
		t.Fatalf("%s is set, but this CPU (or OS) has no AVX2: the assembly kernels would go untested", envRequireAVX2)
	}
	t.Skip("no AVX2 on this CPU: only the pure-Go code is tested")
}

// TestKernelsCheckLengthsNotCapacities: a row shorter than a kernel reads,
// inside a larger allocation (as a ring slot is), panics as the Go code
// does instead of being read past its end (review 25 finding 6).
func TestKernelsCheckLengthsNotCapacities(t *testing.T) {
	requireAVX2(t)
	panics := func(name string, f func()) {
		t.Helper()
		defer func() {
			if recover() == nil {
				t.Errorf("%s: a short row with spare capacity was read past its length", name)
			}
		}()
		f()
	}
	panics("verticalRow", func() {
		verticalRow(make([]uint8, 32), [][]uint64{make([]uint64, 1, 64)}, []uint16{1 << 14})
	})
	panics("verticalRow (rows)", func() {
		r := make([]uint64, 16)
		rows := [][]uint64{r, r}[:1] // the second tap's row past its length
		verticalRow(make([]uint8, 32), rows, []uint16{1 << 13, 1 << 13})
	})
	p := horizontalTaps(fixedTaps(weights(1024, 896)), 1024)
	if len(p.blocks.base) == 0 {
		t.Fatal("1024 -> 896 has no kernel blocks")
	}
	panics("apply (row)", func() {
		p.apply(make([]byte, 8, 2048), make([]uint64, 448))
	})
	panics("apply (out)", func() {
		p.apply(make([]byte, 1024), make([]uint64, 1, 448))
	})
}
