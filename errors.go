package cxrkit

import "errors"

// ErrInvalidOptions marks errors a user fixes by changing the command line
// or config (a fraction out of range, an unknown split); the CLI exits 2
// on them rather than 1. The CLI also exits 2, before doing anything, when
// an input file its command line or run config names does not exist.
var ErrInvalidOptions = errors.New("invalid options")

// ErrPartial marks a command that finished but left some items failed
// (audit cases with an error, images skipped by export --skip-missing);
// the CLI exits 3 on it, so a script never mistakes it for success.
var ErrPartial = errors.New("partial")
