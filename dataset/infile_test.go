package dataset

import (
	"errors"
	"io/fs"
	"strings"
	"testing"
)

// TestInFileNamesThePathOnce: the path is added to an error unless the
// error is the operating system's own about that path, whatever the
// error's text happens to contain.
func TestInFileNamesThePathOnce(t *testing.T) {
	const path = "shards/train-0.parquet"
	osErr := &fs.PathError{Op: "open", Path: path, Err: fs.ErrNotExist}
	otherPath := &fs.PathError{Op: "open", Path: "elsewhere.parquet", Err: fs.ErrNotExist}
	// An error whose text happens to contain the path is not about it.
	mentions := errors.New("footer refers to " + path)
	for _, tc := range []struct {
		name, where string
		err         error
		want        string
	}{
		{"os error", "", osErr, "open " + path + ": file does not exist"},
		{"os error, where", "row group 0", osErr, "row group 0: open " + path + ": file does not exist"},
		{"other path", "", otherPath, path + ": open elsewhere.parquet: file does not exist"},
		{"text mentions path", "", mentions, path + ": footer refers to " + path},
		{"plain, where", "column id", errors.New("bad page"), path + ": column id: bad page"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := inFile(path, tc.where, tc.err)
			if got.Error() != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
			if !errors.Is(got, tc.err) {
				t.Fatalf("%v does not wrap %v", got, tc.err)
			}
			if tc.err == osErr && strings.Count(got.Error(), path) != 1 {
				t.Fatalf("%q names the path %d times", got, strings.Count(got.Error(), path))
			}
		})
	}
}
