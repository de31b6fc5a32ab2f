package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/imaging"
	"github.com/urfave/cli/v2"
)

// refuseOverlap checks, before a command reads or writes anything, that
// every input flag names a path that exists (a missing input is a usage
// error: the command line names a file that is not there) and that none of
// the output flags names a path that is, contains or is inside one of the
// input flags' paths (cxrkit.CheckOutputs). Flags not given are ignored.
func refuseOverlap(c *cli.Context, inputs, outputs []string) error {
	ins := flagPaths(c, inputs)
	if err := requireInputs(ins); err != nil {
		return err
	}
	return cxrkit.CheckOutputs(ins, flagPaths(c, outputs))
}

// requireInputs refuses, as a usage error naming the flag, an input path
// that does not exist. An image inside a zip archive (ARCHIVE.zip!MEMBER)
// needs its archive; the member is checked when it is read.
func requireInputs(ins []cxrkit.PathFlag) error {
	for _, in := range ins {
		if in.Path == "" {
			continue
		}
		p := in.Path
		if archive, _, ok := imaging.SplitMemberPath(p); ok {
			p = archive
		}
		if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
			return usageError{fmt.Errorf("%s %s: no such file or directory", in.Flag, in.Path)}
		}
	}
	return nil
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
