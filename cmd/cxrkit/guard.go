package main

import (
	"github.com/cxrkit/cxrkit"
	"github.com/urfave/cli/v2"
)

// refuseOverlap checks, before a command writes anything, that none of the
// output flags names a path that is, contains or is inside one of the input
// flags' paths (cxrkit.CheckOutputs). Flags not given are ignored.
func refuseOverlap(c *cli.Context, inputs, outputs []string) error {
	return cxrkit.CheckOutputs(flagPaths(c, inputs), flagPaths(c, outputs))
}

func flagPaths(c *cli.Context, names []string) []cxrkit.PathFlag {
	var out []cxrkit.PathFlag
	for _, n := range names {
		if !c.IsSet(n) {
			continue
		}
		if vs := c.StringSlice(n); len(vs) > 0 {
			for _, v := range vs {
				out = append(out, cxrkit.PathFlag{Flag: "--" + n, Path: v})
			}
			continue
		}
		out = append(out, cxrkit.PathFlag{Flag: "--" + n, Path: c.String(n)})
	}
	return out
}
