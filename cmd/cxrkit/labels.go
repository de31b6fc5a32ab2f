package main

import (
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
			vocab, err := labelmap.LoadFile(c.String("labelmap"))
			if err != nil {
				return err
			}
			if c.Bool("json") {
				return cxrkit.NewJSONLEncoder(c.App.Writer).Encode(struct {
					labelmap.Description
					BoxFormat  string `json:"box_format"`
					Disclaimer string `json:"disclaimer"`
				}{vocab.Describe(), cxrkit.BoxFormat, cxrkit.Disclaimer})
			}
			if err := vocab.WriteTable(c.App.Writer); err != nil {
				return err
			}
			_, err = c.App.Writer.Write([]byte("\nbox format: " + cxrkit.BoxFormat + "\n" + cxrkit.Disclaimer + "\n"))
			return err
		},
	}
}
