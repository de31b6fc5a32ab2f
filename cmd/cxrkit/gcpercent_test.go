package main

import (
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

func TestTuneGCForPrepare(t *testing.T) {
	for _, tc := range []struct {
		name    string
		userEnv string // GOGC in the environment; "" for unset
		running int    // the percent the process runs at before prepare
		during  int
	}{
		{"unset GOGC: prepare's setting", "", 100, prepareGCPercent},
		{"user GOGC wins", "150", 150, 150},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.userEnv != "" {
				t.Setenv("GOGC", tc.userEnv)
			} else if _, set := os.LookupEnv("GOGC"); set {
				t.Skip("GOGC is set in the test's environment")
			}
			defer debug.SetGCPercent(debug.SetGCPercent(tc.running))
			restore := tuneGCForPrepare()
			during := gcPercent()
			restore()
			if during != tc.during {
				t.Errorf("GOGC while preparing = %d, want %d", during, tc.during)
			}
			if after := gcPercent(); after != tc.running {
				t.Errorf("GOGC after prepare = %d, want it restored to %d", after, tc.running)
			}
		})
	}
}
