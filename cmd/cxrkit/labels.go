package main

import (
	"context"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/labelmap"
	"github.com/urfave/cli/v2"
)

// labelmapFlag is the --labelmap flag. Each command gets its own: urfave/cli
// keeps parse state in a flag, so one flag value shared by several
// commands (or apps, as in tests) would leak between them.
func labelmapFlag() *cli.StringFlag {
	return &cli.StringFlag{
		Name:  "labelmap",
		Usage: "label map YAML overriding the embedded configs/labelmap.yaml",
	}
}

func labelsCommand() *cli.Command {
	return &cli.Command{
		Name:  "labels",
		Usage: "print the canonical vocabulary and every source's native→canonical map",
		Flags: []cli.Flag{
			labelmapFlag(),
			&cli.BoolFlag{Name: "json", Usage: "print JSON instead of tables"},
		},
		Action: func(c *cli.Context) error {
			if err := noArgs(c); err != nil {
				return err
			}
			if err := requireInputs(flagPaths(c, []string{"labelmap"})); err != nil {
				return err
			}
			return runLabels(c.Context, labelsOptions{Labelmap: c.String("labelmap"), JSON: c.Bool("json")}, globals(c), c.Args().Slice())
		},
	}
}

// labelsOptions are the labels command's: which label map, and JSON or
// tables.
type labelsOptions struct {
	Labelmap string
	JSON     bool
}

// runLabels prints the vocabulary and every source's map.
func runLabels(_ context.Context, opts labelsOptions, gopts globalOptions, _ []string) error {
	vocab, err := labelmap.LoadFile(opts.Labelmap)
	if err != nil {
		return err
	}
	if opts.JSON {
		return cxrkit.NewJSONLEncoder(gopts.stdout).Encode(struct {
			labelmap.Description
			BoxFormat  string `json:"box_format"`
			Disclaimer string `json:"disclaimer"`
		}{vocab.Describe(), cxrkit.BoxFormat, cxrkit.Disclaimer})
	}
	if err := vocab.WriteTable(gopts.stdout); err != nil {
		return err
	}
	_, err = gopts.stdout.Write([]byte("\nbox format: " + cxrkit.BoxFormat + "\n" + cxrkit.Disclaimer + "\n"))
	return err
}
