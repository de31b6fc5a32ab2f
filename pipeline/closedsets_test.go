package pipeline

import (
	"errors"
	"strings"
	"testing"

	"github.com/cxrkit/cxrkit"
)

// TestParseBatchImages: the batch-image modes are a closed set; "" is the
// default, base64; anything else names the allowed values.
func TestParseBatchImages(t *testing.T) {
	for _, c := range []struct {
		in   string
		want BatchImages
		ok   bool
	}{
		{"", BatchImagesBase64, true},
		{"base64", BatchImagesBase64, true},
		{"file", BatchImagesFile, true},
		{"url", "", false},
		{"File", "", false},
	} {
		got, err := ParseBatchImages(c.in)
		if c.ok && (err != nil || got != c.want) {
			t.Errorf("ParseBatchImages(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
		if !c.ok && (!errors.Is(err, cxrkit.ErrInvalidOptions) || !strings.Contains(err.Error(), "base64 or file")) {
			t.Errorf("ParseBatchImages(%q): err %v, want ErrInvalidOptions naming base64 or file", c.in, err)
		}
	}
}
