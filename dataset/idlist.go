package dataset

import (
	"bufio"
	"fmt"
	"os"
	"strings"
)

// ReadIDList reads image ids one per line (blank lines and # comments
// skipped; a file extension such as .png is removed). NIH's test_list.txt
// has this shape.
func ReadIDList(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var ids []string
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		s := strings.TrimSpace(sc.Text())
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		if strings.ContainsAny(s, " \t,") {
			return nil, fmt.Errorf("%s:%d: want one image id per line, got %q", path, line, s)
		}
		ids = append(ids, stripImageExt(s))
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return ids, nil
}
