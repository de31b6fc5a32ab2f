package infer

import (
	"net/url"
	"strings"
)

// redactedURL is u for display: its user-info (a password in
// "http://user:pw@host/v1") replaced by "redacted", so the URL can be
// shown on /healthz, in errors, results and logs.
func redactedURL(u *url.URL) string {
	if u.User == nil {
		return u.String()
	}
	c := *u
	c.User = url.User("redacted")
	return c.String()
}

// userInfoForms are the ways an endpoint's user-info can appear in an
// error's text (net/http writes "user:***@" for the password).
func userInfoForms(u *url.URL) []string {
	if u.User == nil {
		return nil
	}
	name := u.User.Username()
	forms := []string{u.User.String() + "@", name + ":***@", url.PathEscape(name) + "@", name + "@"}
	if pw, ok := u.User.Password(); ok && pw != "" {
		forms = append(forms, pw)
	}
	return forms
}

// scrubbedError hides an endpoint's user-info in an error's text while
// keeping the error chain for errors.Is and errors.As.
type scrubbedError struct {
	err     error
	secrets []string
}

func scrub(err error, secrets []string) error {
	if err == nil || len(secrets) == 0 {
		return err
	}
	return &scrubbedError{err: err, secrets: secrets}
}

func (s *scrubbedError) Error() string {
	msg := s.err.Error()
	for _, x := range s.secrets {
		switch {
		case x == "" || x == "@":
		case strings.HasSuffix(x, "@"):
			msg = strings.ReplaceAll(msg, x, "redacted@")
		default:
			msg = strings.ReplaceAll(msg, x, "redacted")
		}
	}
	return msg
}

func (s *scrubbedError) Unwrap() error { return s.err }
