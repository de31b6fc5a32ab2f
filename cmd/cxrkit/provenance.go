package main

import (
	"net/url"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"
)

// argsKey holds, in the app's Metadata, the command line run was given:
// urfave/cli keeps no copy of it, and reports record it as provenance.
const argsKey = "args"

// redacted replaces a secret in a recorded command line.
const redacted = "redacted"

// commandLine is the command line that invoked c, as given, with its
// secrets redacted: reports are shared, an API key must not travel with
// them.
func commandLine(c *cli.Context) []string {
	if args, ok := c.App.Metadata[argsKey].([]string); ok && len(args) > 0 {
		args = redactArgs(slices.Clone(args))
		args[0] = c.App.Name
		return args
	}
	return []string{c.App.Name, c.Command.Name}
}

// redactArgs hides, in place, the values of secret flags (--api-key X,
// --api-key=X, and any flag whose name says key, token, secret or
// password) and the user-info of any URL (http://user:pw@host).
func redactArgs(args []string) []string {
	for i := 0; i < len(args); i++ {
		name, value, hasValue := strings.Cut(strings.TrimLeft(args[i], "-"), "=")
		isFlag := strings.HasPrefix(args[i], "-") && args[i] != "-" && args[i] != "--"
		switch {
		case isFlag && secretFlag(name) && hasValue:
			args[i] = args[i][:strings.Index(args[i], "=")+1] + redacted
		case isFlag && secretFlag(name) && i+1 < len(args):
			i++
			args[i] = redacted
		case hasValue && isFlag:
			args[i] = args[i][:len(args[i])-len(value)] + redactURL(value)
		default:
			args[i] = redactURL(args[i])
		}
	}
	return args
}

func secretFlag(name string) bool {
	name = strings.ToLower(name)
	for _, w := range []string{"key", "token", "secret", "password"} {
		if strings.Contains(name, w) {
			return true
		}
	}
	return false
}

// redactURL hides the user-info of s when s is a URL carrying one.
func redactURL(s string) string {
	if !strings.Contains(s, "@") || !strings.Contains(s, "://") {
		return s
	}
	u, err := url.Parse(s)
	if err != nil {
		// Unparseable but URL-shaped: keep the scheme and the host part only.
		scheme, rest, _ := strings.Cut(s, "://")
		if at := strings.LastIndex(rest, "@"); at >= 0 {
			return scheme + "://" + redacted + "@" + rest[at+1:]
		}
		return s
	}
	if u.User == nil {
		return s
	}
	u.User = url.User(redacted)
	return u.String()
}
