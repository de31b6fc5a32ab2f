package cxrkit

import "errors"

// ErrInvalidOptions marks errors a user fixes by changing the command line
// or config (a missing input, a fraction out of range); the CLI exits 2 on
// them rather than 1.
var ErrInvalidOptions = errors.New("invalid options")
