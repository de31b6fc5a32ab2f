package main

import (
	"context"
	"fmt"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/pipeline"
	"github.com/urfave/cli/v2"
)

func runCommand() *cli.Command {
	return &cli.Command{
		Name:      "run",
		Usage:     "run the pipeline of a config file: prepare → synth → export → audit → eval",
		ArgsUsage: "CONFIG.yaml",
		Description: "Paths in the config are relative to it. Stages whose outputs are newer than their inputs are\n" +
			"skipped; --force redoes them. Flags go before the config file.",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "force", Usage: "redo stages even when their outputs are up to date"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usagef("run: give one config file, e.g. cxrkit run configs/quickstart.yaml (flags go before it)")
			}
			if err := requireInputs([]cxrkit.PathFlag{{Flag: "config", Path: c.Args().First()}}); err != nil {
				return err
			}
			w := c.App.ErrWriter
			opts := pipeline.RunOptions{Force: c.Bool("force"), Log: w, Progress: progressFor(w), Command: commandLine(c)}
			return runPipeline(c.Context, opts, globals(c), c.Args().Slice())
		},
	}
}

// runPipeline runs the config file args[0] and prints the outputs and
// headline numbers of the stages that ran, also when one failed.
func runPipeline(ctx context.Context, opts pipeline.RunOptions, gopts globalOptions, args []string) error {
	cfg, err := pipeline.LoadConfig(args[0])
	if err != nil {
		return err
	}
	// A file the config names that is missing is reported alone, as a
	// missing flag input is, before the run's header (Run checks again).
	if err := pipeline.CheckInputs(cfg, opts); err != nil {
		return err
	}
	w := gopts.stderr
	fmt.Fprintf(w, "cxrkit run %s → %s\n", cfg.Path(), cfg.OutDir())
	s, err := pipeline.Run(ctx, cfg, opts)
	if s != nil {
		fmt.Fprintf(w, "\nOutputs:\n")
		for _, st := range s.Stages {
			for _, o := range st.Outputs {
				fmt.Fprintf(w, "  %-8s %s\n", st.Stage, o)
			}
		}
		fmt.Fprintf(w, "\nHeadline numbers:\n")
		for _, st := range s.Stages {
			fmt.Fprintf(w, "  %-8s [%s] %s\n", st.Stage, st.Status, st.Headline)
		}
		fmt.Fprintf(w, "\n%s\n", cxrkit.Disclaimer)
	}
	return err
}
