package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"
)

// completeFlag, as the last argument, asks cxrkit for the words that fit
// the arguments before it: command names, or a command's flags when the
// word being completed starts with "-". The scripts below call it, so they
// follow the commands and flags of the installed binary.
const completeFlag = "--generate-bash-completion"

// The scripts:
const bashCompletion = `# bash completion for cxrkit; load with: source <(cxrkit completion bash)
_cxrkit_complete() {
    local cur="${COMP_WORDS[COMP_CWORD]}" words
    if [[ "$cur" == -* ]]; then
        words=$("${COMP_WORDS[@]:0:$COMP_CWORD}" "$cur" --generate-bash-completion 2>/dev/null)
    else
        words=$("${COMP_WORDS[@]:0:$COMP_CWORD}" --generate-bash-completion 2>/dev/null)
    fi
    COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o default -F _cxrkit_complete cxrkit
`

const zshCompletion = `#compdef cxrkit
# zsh completion for cxrkit; load with: source <(cxrkit completion zsh)
_cxrkit() {
    local -a words_out
    local cur="${words[CURRENT]}"
    if [[ "$cur" == -* ]]; then
        words_out=(${(f)"$("${words[@]:0:$((CURRENT-1))}" "$cur" --generate-bash-completion 2>/dev/null)"})
    else
        words_out=(${(f)"$("${words[@]:0:$((CURRENT-1))}" --generate-bash-completion 2>/dev/null)"})
    fi
    if (( ${#words_out} )); then
        compadd -a words_out
    else
        _files
    fi
}
compdef _cxrkit cxrkit
`

const fishCompletion = `# fish completion for cxrkit; load with: cxrkit completion fish | source
function __cxrkit_complete
    set -l tokens (commandline -opc)
    set -l cur (commandline -ct)
    if string match -q -- '-*' $cur
        $tokens $cur --generate-bash-completion 2>/dev/null
    else
        $tokens --generate-bash-completion 2>/dev/null
    end
end
complete -c cxrkit -a '(__cxrkit_complete)'
`

func completionCommand() *cli.Command {
	return &cli.Command{
		Name:      "completion",
		Usage:     "print a shell completion script for bash, zsh or fish",
		ArgsUsage: "bash|zsh|fish",
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usagef("completion: name one shell: bash, zsh or fish")
			}
			return writeCompletion(c.Args().First(), c.App.Writer)
		},
	}
}

func writeCompletion(shell string, w io.Writer) error {
	var script string
	switch shell {
	case "bash":
		script = bashCompletion
	case "zsh":
		script = zshCompletion
	case "fish":
		script = fishCompletion
	default:
		return usagef("completion: unknown shell %q (want bash, zsh or fish)", shell)
	}
	_, err := fmt.Fprint(w, script)
	return err
}

// complete prints the completion words for args (without the program name
// and completeFlag): commands while none is given, else the command's
// flags starting with the last word when it starts with "-". Nothing else
// is printed, so the shell falls back to file names.
func complete(app *cli.App, args []string, w io.Writer) {
	var cmd *cli.Command
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd = app.Command(args[0])
	}
	last := ""
	if len(args) > 0 {
		last = args[len(args)-1]
	}
	switch {
	case cmd == nil && (len(args) == 0 || len(args) == 1 && !strings.HasPrefix(last, "-")):
		for _, c := range app.Commands {
			if !c.Hidden && strings.HasPrefix(c.Name, last) && c.Name != last {
				fmt.Fprintln(w, c.Name)
			}
		}
		if len(args) == 0 {
			return
		}
	case cmd != nil && strings.HasPrefix(last, "-"):
		for _, f := range cmd.Flags {
			for _, n := range f.Names() {
				if name := "--" + n; len(n) > 1 && strings.HasPrefix(name, last) {
					fmt.Fprintln(w, name)
				}
			}
		}
	}
}
