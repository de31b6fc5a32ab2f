package sftexport

import (
	"fmt"
	"io"
	"strings"

	"github.com/cxrkit/cxrkit"
)

// TaskRows is the total rows written for task over all splits.
func (s *Summary) TaskRows(task Task) int {
	n := 0
	for _, k := range s.Rows[task] {
		n += k
	}
	return n
}

// Headline is the one-line outcome: rows per task, skipped images and
// the verification.
func (s *Summary) Headline() string {
	var parts []string
	for _, task := range Tasks() {
		if n := s.TaskRows(task); n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d rows", task, n))
		}
	}
	h := strings.Join(parts, ", ")
	if len(s.Skipped) > 0 {
		h += fmt.Sprintf("; %d images skipped: %s", len(s.Skipped), s.SkipReasons)
	}
	if s.Verified != nil {
		h += fmt.Sprintf("; verified with Arrow: %d shards, %d images decoded", s.Verified.Shards, s.Verified.ImagesDecoded)
	}
	return h
}

// WriteText writes the rows per task and split, the image throughput and
// the verification, in a stable order, for a terminal.
func (s *Summary) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "cxrkit export: %s\n", s.Out)
	for _, task := range Tasks() {
		for _, split := range sortedSplits(s.Rows[task]) {
			fmt.Fprintf(&b, "  %-12s %-10s %7d rows\n", task, split, s.Rows[task][split])
		}
	}
	if s.ImageBytes > 0 {
		fmt.Fprintf(&b, "  images: %.1f MB in %.2f s (%.0f MB/s); %d resized, %d converted to PNG, %d skipped\n",
			float64(s.ImageBytes)/1e6, s.Seconds, s.MBPerSecond, s.Resized, s.Converted, len(s.Skipped))
	}
	if len(s.Skipped) > 0 {
		fmt.Fprintf(&b, "  %d images skipped: %s\n", len(s.Skipped), s.SkipReasons)
	}
	if s.Verified != nil {
		fmt.Fprintf(&b, "  verified with Arrow: %d shards, %d rows, %d images decoded\n", s.Verified.Shards, s.Verified.Rows, s.Verified.ImagesDecoded)
	}
	fmt.Fprintf(&b, "  card     %s/README.md\n  %s\n", s.Out, cxrkit.Disclaimer)
	_, err := io.WriteString(w, b.String())
	return err
}
