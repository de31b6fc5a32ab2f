// Command cxrkit builds and checks chest X-ray draft auditors: it prepares
// public datasets into one corpus, synthesizes audit cases, exports SFT
// parquet, audits drafts through an OpenAI-compatible endpoint, evaluates
// models and serves a web page.
//
// RESEARCH / EDUCATIONAL QA ONLY: not a medical device, not diagnosis, not
// for clinical use.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/cxrkit/cxrkit"
	"github.com/urfave/cli/v2"
)

// Exit codes (documented in exitCodesHelp and the README).
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
	exitPartial = 3
)

// exitCodesHelp is shown by --help.
const exitCodesHelp = "Exit codes: 0 everything succeeded; 1 failure; 2 usage (bad flags, an input file that does not exist\n" +
	"or is not what its flag asks for, or an output over an input);\n" +
	"3 partial: the command finished but some items failed (audit cases with an error, export images\n" +
	"skipped by --skip-missing); the summary says which and why."

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	stopProfiles := startProfiles(os.Getenv, os.Stderr)
	code := run(ctx, os.Args, os.Stdin, os.Stdout, os.Stderr)
	stopProfiles()
	stop()
	os.Exit(code)
}

// usageError marks an error the user can fix by changing the command line.
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	app := newApp(stdin, stdout, stderr)
	app.Metadata = map[string]any{argsKey: args}
	if n := len(args); n > 0 && args[n-1] == completeFlag {
		complete(app, args[1:n-1], stdout)
		return exitOK
	}
	err := app.RunContext(ctx, args)
	if err == nil {
		return exitOK
	}
	msg := strings.ReplaceAll(strings.TrimSpace(err.Error()), "\n", "; ")
	fmt.Fprintf(stderr, "cxrkit: %s\n", msg)
	return exitCode(err)
}

// exitCode decides by the error's type, never its wording: usage errors
// (eval's inputs that are not what their flag asks for among them) and
// invalid options exit 2, partial runs 3, everything else 1.
func exitCode(err error) int {
	var u usageError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &u) || errors.Is(err, cxrkit.ErrInvalidOptions):
		return exitUsage
	case errors.Is(err, cxrkit.ErrPartial):
		return exitPartial
	}
	return exitFailure
}

func newApp(stdin io.Reader, stdout, stderr io.Writer) *cli.App {
	app := &cli.App{
		Name:    "cxrkit",
		Usage:   "build and check chest X-ray draft auditors (research and education only)",
		Version: cxrkit.VersionString(),
		Description: "cxrkit prepares public chest X-ray datasets, synthesizes audit cases, exports SFT parquet,\n" +
			"audits drafts through an OpenAI-compatible endpoint, evaluates models and serves a web page.\n\n" +
			exitCodesHelp + "\n\n" + cxrkit.Disclaimer,
		Reader:    stdin,
		Writer:    stdout,
		ErrWriter: stderr,
		// Paths may contain commas: repeat a flag to give several values.
		DisableSliceFlagSeparator: true,
		// Errors are printed once, by run, as one line.
		ExitErrHandler: func(*cli.Context, error) {},
		OnUsageError: func(c *cli.Context, err error, _ bool) error {
			return usageError{didYouMean(c, err)}
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return unknownCommand(c, c.Args().First())
			}
			return cli.ShowAppHelp(c)
		},
		Commands: commands(),
	}
	for _, c := range app.Commands {
		c.OnUsageError = app.OnUsageError
		checkRequired(c)
	}
	decorateHelp(app)
	return app
}

// unknownCommand names the closest command, if one is near.
func unknownCommand(c *cli.Context, name string) error {
	var names []string
	for _, cmd := range c.App.Commands {
		names = append(names, cmd.Names()...)
	}
	if s := cxrkit.Closest(name, names); s != "" {
		return usagef("unknown command %q; did you mean %q? (see cxrkit help)", name, s)
	}
	return usagef("unknown command %q (see cxrkit help)", name)
}

func commands() []*cli.Command {
	return []*cli.Command{
		labelsCommand(),
		prepareCommand(),
		dicom2pngCommand(),
		synthCommand(),
		exportCommand(),
		auditCommand(),
		evalCommand(),
		serveCommand(),
		runCommand(),
		versionCommand(),
		completionCommand(),
	}
}

// noArgs rejects stray positional arguments; urfave/cli stops parsing flags
// at the first one, so a flag after it would otherwise be silently ignored.
func noArgs(c *cli.Context) error {
	if c.NArg() > 0 {
		return usagef("%s: unexpected argument %q (flags go before arguments; see --help)", c.Command.Name, c.Args().First())
	}
	return nil
}
