package main

import (
	"math"
	"os"
	"runtime/debug"
	"testing"
)

// gcPercent reads the collector's current GOGC without changing it.
func gcPercent() int {
	p := debug.SetGCPercent(-1)
	debug.SetGCPercent(p)
	return p
}

// memoryLimit reads the current soft memory limit without changing it.
func memoryLimit() int64 { return debug.SetMemoryLimit(-1) }

func TestTuneGCForPrepare(t *testing.T) {
	for _, tc := range []struct {
		name         string
		userGOGC     string // GOGC in the environment; "" for unset
		userLimit    string // GOMEMLIMIT in the environment; "" for unset
		running      int    // the percent the process runs at before prepare
		runningLimit int64  // the limit the process runs with before prepare
		during       int
		duringLimit  int64
	}{
		{"unset: prepare's settings", "", "", 100, math.MaxInt64, prepareGCPercent, prepareMemoryLimit},
		{"user GOGC wins", "150", "", 150, math.MaxInt64, 150, prepareMemoryLimit},
		{"user GOMEMLIMIT wins", "", "2GiB", 100, 2 << 30, prepareGCPercent, 2 << 30},
		{"a lower limit stays", "", "", 100, 64 << 20, prepareGCPercent, 64 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, env := range []struct{ name, value string }{{"GOGC", tc.userGOGC}, {"GOMEMLIMIT", tc.userLimit}} {
				if env.value != "" {
					t.Setenv(env.name, env.value)
				} else if _, set := os.LookupEnv(env.name); set {
					t.Skipf("%s is set in the test's environment", env.name)
				}
			}
			defer debug.SetGCPercent(debug.SetGCPercent(tc.running))
			defer debug.SetMemoryLimit(debug.SetMemoryLimit(tc.runningLimit))
			restore := tuneGCForPrepare()
			during, duringLimit := gcPercent(), memoryLimit()
			restore()
			if during != tc.during {
				t.Errorf("GOGC while preparing = %d, want %d", during, tc.during)
			}
			if duringLimit != tc.duringLimit {
				t.Errorf("memory limit while preparing = %d, want %d", duringLimit, tc.duringLimit)
			}
			if after := gcPercent(); after != tc.running {
				t.Errorf("GOGC after prepare = %d, want it restored to %d", after, tc.running)
			}
			if after := memoryLimit(); after != tc.runningLimit {
				t.Errorf("memory limit after prepare = %d, want it restored to %d", after, tc.runningLimit)
			}
		})
	}
}
