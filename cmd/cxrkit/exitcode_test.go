package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/cxrkit/cxrkit"
)

func TestExitCodeIsDecidedByType(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"missing flags", usageError{missingFlagsError{[]string{"out"}}}, exitUsage},
		{"invalid options, wrapped", fmt.Errorf("synth: %w", cxrkit.ErrInvalidOptions), exitUsage},
		// A failure that merely reads like a usage error is a failure.
		{"wording only", errors.New(`Required flag "out" not set by the remote end`), exitFailure},
		{"plain failure", errors.New("disk full"), exitFailure},
	}
	for _, tt := range tests {
		if got := exitCode(tt.err); got != tt.want {
			t.Errorf("%s: exit %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestMissingRequiredFlagsAreUsageErrors(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"cxrkit", "synth", "--seed", "1"}, strings.NewReader(""), &stdout, &stderr)
	if code != exitUsage {
		t.Fatalf("exit %d, want %d", code, exitUsage)
	}
	if got := stderr.String(); got != "cxrkit: Required flags \"corpus, out\" not set\n" {
		t.Errorf("stderr %q", got)
	}
	if !strings.Contains(stdout.String(), "cxrkit synth [command options]") {
		t.Errorf("the command's help was not shown:\n%s", stdout.String())
	}
}
