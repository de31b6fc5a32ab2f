package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/cxrkit/cxrkit"
	"github.com/urfave/cli/v2"
)

func versionCommand() *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print the version, the commit it was built from and the Go version",
		Action: func(c *cli.Context) error {
			if err := noArgs(c); err != nil {
				return err
			}
			_, err := fmt.Fprint(c.App.Writer, versionText(debug.ReadBuildInfo()))
			return err
		},
	}
}

// versionText renders what a bug report needs: release, commit (and
// whether the tree had local changes), commit time, Go version, platform.
func versionText(info *debug.BuildInfo, ok bool) string {
	commit, when, modified := "unknown (not built from a git checkout)", "", false
	goVersion := runtime.Version()
	if ok {
		goVersion = info.GoVersion
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				commit = s.Value
			case "vcs.time":
				when = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	if modified {
		commit += " (with local changes)"
	}
	out := fmt.Sprintf("cxrkit %s\n  commit   %s\n", cxrkit.Version, commit)
	if when != "" {
		out += fmt.Sprintf("  date     %s\n", when)
	}
	out += fmt.Sprintf("  go       %s\n  platform %s/%s\n  %s\n", goVersion, runtime.GOOS, runtime.GOARCH, cxrkit.Disclaimer)
	return out
}
