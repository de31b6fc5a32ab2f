//go:build !unix

package audit_test

import "testing"

// limitFileSize needs RLIMIT_FSIZE, which only Unix has.
func limitFileSize(t *testing.T, _ uint64) { t.Skip("no file size limit on this system") }
