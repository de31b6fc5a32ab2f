package main

import (
	"os"
	"runtime/debug"
)

// prepareGCPercent is the garbage collector's GOGC while prepare runs. prepare
// reads every annotation once and keeps a small live set (the images and their
// boxes) while allocating about 50 MB of short-lived rows on the full real
// annotations; at the default 100 the collector runs many times over that small
// live set. At 300 it ran about 15% less CPU for the whole command on the full
// real annotations, for about 2 MB more peak RSS (docs/performance.md). The heap
// may grow to four times the live set instead of twice between collections.
const prepareGCPercent = 300

// tuneGCForPrepare sets prepareGCPercent unless the user chose GOGC, and returns
// the function that restores the previous setting (commands also run in-process,
// in tests and in pipeline runs, and must not leave the process changed).
func tuneGCForPrepare() (restore func()) {
	if _, set := os.LookupEnv("GOGC"); set {
		return func() {}
	}
	old := debug.SetGCPercent(prepareGCPercent)
	return func() { debug.SetGCPercent(old) }
}
