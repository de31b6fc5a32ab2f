package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
)

// Environment variables that make any command write a pprof profile.
const (
	envCPUProfile = "CXRKIT_CPUPROFILE"
	envMemProfile = "CXRKIT_MEMPROFILE"
)

// startProfiles starts the CPU profile named by CXRKIT_CPUPROFILE and
// returns the function that stops it and writes the heap profile named by
// CXRKIT_MEMPROFILE. Profiling is a habit, not a build flag: every command
// can be profiled as it is run. A profile that cannot be written is
// reported on stderr and never changes the command's exit code.
func startProfiles(getenv func(string) string, stderr *os.File) (stop func()) {
	var cpu *os.File
	if path := getenv(envCPUProfile); path != "" {
		f, err := os.Create(path)
		if err == nil {
			err = pprof.StartCPUProfile(f)
			if err != nil {
				f.Close()
			}
		}
		if err != nil {
			fmt.Fprintf(stderr, "cxrkit: %s: %v\n", envCPUProfile, err)
		} else {
			cpu = f
		}
	}
	return func() {
		if cpu != nil {
			pprof.StopCPUProfile()
			if err := cpu.Close(); err != nil {
				fmt.Fprintf(stderr, "cxrkit: %s: %v\n", envCPUProfile, err)
			}
		}
		if path := getenv(envMemProfile); path != "" {
			if err := writeHeapProfile(path); err != nil {
				fmt.Fprintf(stderr, "cxrkit: %s: %v\n", envMemProfile, err)
			}
		}
	}
}

// writeHeapProfile writes the allocation profile after a GC, so it shows
// what is live at exit as well as everything allocated over the run.
func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	runtime.GC()
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
