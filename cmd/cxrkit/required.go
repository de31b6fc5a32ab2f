package main

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"
)

// missingFlagsError names required flags the command line left out. It is
// a usage error: run decides the exit code by this type, never by the
// message's wording.
type missingFlagsError struct{ names []string }

func (e missingFlagsError) Error() string {
	if len(e.names) == 1 {
		return fmt.Sprintf("Required flag %q not set", e.names[0])
	}
	return fmt.Sprintf("Required flags %q not set", strings.Join(e.names, ", "))
}

// checkRequired takes the required-flag check over from urfave/cli, whose
// error type is unexported: the flags stay documented as required, and a
// missing one shows the command's help and returns missingFlagsError
// wrapped as a usage error.
func checkRequired(cmd *cli.Command) {
	var names []string
	for _, f := range cmd.Flags {
		if sf, ok := f.(*cli.StringFlag); ok && sf.Required {
			sf.Required = false
			names = append(names, sf.Name)
		}
	}
	if len(names) == 0 || cmd.Action == nil {
		return
	}
	action := cmd.Action
	cmd.Action = func(c *cli.Context) error {
		var missing []string
		for _, n := range names {
			if !c.IsSet(n) {
				missing = append(missing, n)
			}
		}
		if len(missing) > 0 {
			showCommandHelp(c)
			return usageError{missingFlagsError{missing}}
		}
		return action(c)
	}
}

// showCommandHelp prints the command's help as urfave/cli does before
// reporting missing required flags.
func showCommandHelp(c *cli.Context) {
	tmpl := c.Command.CustomHelpTemplate
	if tmpl == "" {
		tmpl = cli.CommandHelpTemplate
	}
	cli.HelpPrinter(c.App.Writer, tmpl, c.Command)
}
