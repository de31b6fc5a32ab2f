package main

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

// TestEveryCommandHasExamples: each command's help ends with examples
// that call that command.
func TestEveryCommandHasExamples(t *testing.T) {
	for _, c := range newApp(nil, nil, nil).Commands {
		if c.Name == "help" {
			continue
		}
		code, out, _ := runCLI(t, c.Name, "--help")
		if code != exitOK || !strings.Contains(out, "\nEXAMPLES:\n   cxrkit "+c.Name) {
			t.Errorf("%s --help (exit %d) has no examples:\n%s", c.Name, code, out)
		}
	}
	if _, out, _ := runCLI(t, "help"); !strings.Contains(out, "EXAMPLES:") || !strings.Contains(out, "version") {
		t.Errorf("cxrkit help:\n%s", out)
	}
	if _, out, _ := runCLI(t, "help", "serve"); !strings.Contains(out, "--review") {
		t.Errorf("cxrkit help serve:\n%s", out)
	}
}

// TestFlagCategories: audit and serve group every flag under a named
// category ("Other" for one not yet placed); none is left in a nameless
// group.
func TestFlagCategories(t *testing.T) {
	for _, name := range []string{"audit", "serve"} {
		_, out, _ := runCLI(t, name, "--help")
		opts := out[strings.Index(out, "OPTIONS:"):strings.Index(out, "EXAMPLES:")]
		for _, cat := range []string{catEndpoint, catParsing} {
			if !strings.Contains(opts, "\n   "+cat+"\n") {
				t.Errorf("%s help lacks category %q", name, cat)
			}
		}
		if strings.HasPrefix(opts, "OPTIONS:\n   --") {
			t.Errorf("%s help starts with uncategorized flags:\n%s", name, opts)
		}
	}
	if _, out, _ := runCLI(t, "export", "--help"); !strings.Contains(out, "image workers (default: one per core)\n") {
		t.Errorf("export --workers default shown twice or not at all:\n%s", out)
	}
}

func TestDidYouMean(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"prep"}, `unknown command "prep"; did you mean "prepare"?`},
		{[]string{"aduit"}, `did you mean "audit"?`},
		{[]string{"zzz"}, `unknown command "zzz" (see cxrkit help)`},
		{[]string{"prepare", "--normal-ratoi", "2"}, "unknown flag --normal-ratoi; did you mean --normal-ratio?"},
		{[]string{"serve", "--reveiw", "x"}, "did you mean --review?"},
		{[]string{"labels", "--qqqqqq"}, "unknown flag --qqqqqq (see --help)"},
	}
	for _, tt := range tests {
		code, _, stderr := runCLI(t, tt.args...)
		if code != exitUsage || !strings.Contains(stderr, tt.want) {
			t.Errorf("%v: exit %d %q, want %q", tt.args, code, stderr, tt.want)
		}
	}
}

func TestVersionAndCompletion(t *testing.T) {
	code, out, _ := runCLI(t, "version")
	if code != exitOK || !strings.Contains(out, "cxrkit 0.") || !strings.Contains(out, "go       go1.") || !strings.Contains(out, "not a medical device") {
		t.Errorf("version (exit %d):\n%s", code, out)
	}
	info := &debug.BuildInfo{GoVersion: "go1.99", Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "abc123"}, {Key: "vcs.modified", Value: "true"}, {Key: "vcs.time", Value: "2026-12-02T05:00:00Z"}}}
	if s := versionText(info, true); !strings.Contains(s, "commit   abc123 (with local changes)") || !strings.Contains(s, "go       go1.99") || !strings.Contains(s, "date     2026-12-02") {
		t.Errorf("version text:\n%s", s)
	}
	for shell, want := range map[string]string{"bash": "complete -o default -F _cxrkit_complete cxrkit", "zsh": "compdef _cxrkit cxrkit", "fish": "complete -c cxrkit"} {
		code, out, _ := runCLI(t, "completion", shell)
		if code != exitOK || !strings.Contains(out, want) {
			t.Errorf("completion %s (exit %d):\n%.300s", shell, code, out)
		}
	}
	if code, _, stderr := runCLI(t, "completion", "tcsh"); code != exitUsage || !strings.Contains(stderr, "want bash, zsh or fish") {
		t.Errorf("completion tcsh: %d %q", code, stderr)
	}
	// What the scripts ask for: commands, then a command's flags.
	if _, out, _ := runCLI(t, "--generate-bash-completion"); !strings.Contains(out, "prepare\n") || !strings.Contains(out, "completion\n") {
		t.Errorf("command words:\n%s", out)
	}
	if _, out, _ := runCLI(t, "pre", "--generate-bash-completion"); out != "prepare\n" {
		t.Errorf("partial command: %q", out)
	}
	if _, out, _ := runCLI(t, "serve", "--rev", "--generate-bash-completion"); out != "--review\n" {
		t.Errorf("flag words:\n%s", out)
	}
}

// TestNoProgressOffTerminal: a pipe or a buffer never gets a bar (a bar
// on a non-terminal redraws forever into logs).
func TestNoProgressOffTerminal(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if progressFor(w) != nil || progressFor(&bytes.Buffer{}) != nil {
		t.Error("progress bar on a non-terminal")
	}
	code, _, stderr := runCLI(t, "synth", "--corpus", "../../testdata/review/corpus.jsonl", "--out", filepath.Join(t.TempDir(), "c.jsonl"))
	if code != exitOK || strings.ContainsAny(stderr, "\r\x1b") {
		t.Errorf("synth on a buffer (exit %d) drew a bar: %q", code, stderr)
	}
}
