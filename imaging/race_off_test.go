//go:build !race

package imaging

// raceEnabled is true when the tests run under the race detector, whose
// shadow memory does not fit a child limited by ulimit -v.
const raceEnabled = false
