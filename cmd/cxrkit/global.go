package main

import (
	"io"

	"github.com/urfave/cli/v2"
)

// globalOptions are what every command's run function gets besides its
// own options and arguments (restic's GlobalOptions): where it writes.
// A runX function takes (ctx, opts, gopts, args), so tests call it
// without the command line; its cli Action only parses flags into opts.
type globalOptions struct {
	stdout, stderr io.Writer
}

// globals are the app's writers.
func globals(c *cli.Context) globalOptions {
	return globalOptions{stdout: c.App.Writer, stderr: c.App.ErrWriter}
}
