package main

import (
	"slices"

	"github.com/urfave/cli/v2"
)

// argsKey holds, in the app's Metadata, the command line run was given:
// urfave/cli keeps no copy of it, and reports record it as provenance.
const argsKey = "args"

// commandLine is the command line that invoked c, as given.
func commandLine(c *cli.Context) []string {
	if args, ok := c.App.Metadata[argsKey].([]string); ok && len(args) > 0 {
		args = slices.Clone(args)
		args[0] = c.App.Name
		return args
	}
	return []string{c.App.Name, c.Command.Name}
}
