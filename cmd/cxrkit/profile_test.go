package main

import (
	"os"
	"path/filepath"
	"testing"
)

func TestProfilesWritten(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{
		envCPUProfile: filepath.Join(dir, "cpu.pprof"),
		envMemProfile: filepath.Join(dir, "mem.pprof"),
	}
	stop := startProfiles(func(k string) string { return env[k] }, os.Stderr)
	if code, _, stderr := runCLI(t, "labels"); code != exitOK {
		t.Fatalf("labels: exit %d: %s", code, stderr)
	}
	stop()
	for _, p := range env {
		st, err := os.Stat(p)
		if err != nil || st.Size() == 0 {
			t.Errorf("profile %s not written: %v", p, err)
		}
	}
}

func TestProfilesUnset(t *testing.T) {
	stop := startProfiles(func(string) string { return "" }, os.Stderr)
	stop() // nothing to write, nothing to fail
}
