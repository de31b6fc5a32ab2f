package main

import (
	"os"
	"runtime/debug"
)

// prepareGCPercent is the garbage collector's GOGC while prepare runs. prepare
// reads every annotation once and keeps what it read (the images and their
// boxes) to the end, and what it allocates besides is short-lived rows. At
// GOGC 300 it still ran one collection on the full real annotations, late, when
// nearly everything was live: about 25 ms of CPU (most of it an idle mark
// worker on the second core) that freed almost nothing. At 1000 the first
// collection comes at a 40 MB heap (4 MB times GOGC/100), above what prepare
// allocates on those annotations, so none runs; larger inputs are collected
// when the heap reaches eleven times the live set, or the soft limit below.
const prepareGCPercent = 1000

// prepareMemoryLimit is the soft memory limit (GOMEMLIMIT) while prepare runs:
// it keeps prepareGCPercent from letting the heap of a large input grow to
// eleven times its live set. The collector runs harder as the heap nears it,
// so a live set below it costs more collections, never failure. prepare's live
// set of annotations is a small fraction of it on every supported dataset;
// with --dedup-images the images decoded at once (GOMAXPROCS of them, each
// within --max-image-mb) can pass it, and the collector then runs more often,
// over pointer-free pixels: cheap.
const prepareMemoryLimit = 512 << 20

// tuneGCForPrepare sets prepareGCPercent unless the user chose GOGC, and
// lowers the soft memory limit to prepareMemoryLimit unless the user chose
// GOMEMLIMIT or a lower limit is already set. It returns the function that
// restores the previous settings (commands also run in-process, in tests and in
// pipeline runs, and must not leave the process changed).
func tuneGCForPrepare() (restore func()) {
	restoreGC, restoreLimit := func() {}, func() {}
	if _, set := os.LookupEnv("GOGC"); !set {
		old := debug.SetGCPercent(prepareGCPercent)
		restoreGC = func() { debug.SetGCPercent(old) }
	}
	if _, set := os.LookupEnv("GOMEMLIMIT"); !set {
		if old := debug.SetMemoryLimit(-1); old > prepareMemoryLimit {
			debug.SetMemoryLimit(prepareMemoryLimit)
			restoreLimit = func() { debug.SetMemoryLimit(old) }
		}
	}
	return func() {
		restoreLimit()
		restoreGC()
	}
}
