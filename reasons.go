package cxrkit

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
)

// Reasoner is an error that can say its cause in words shared by every
// item it hit ("connection refused to http://gpu:8000/v1"), so summaries
// group failures by reason instead of listing each one.
type Reasoner interface {
	error
	Reason() string
}

// maxReasonLen bounds one reason in a summary line.
const maxReasonLen = 160

// ErrorReason is the grouping key of err: the Reason of the first
// Reasoner in its chain, else a word for common causes, else its text
// (one line, bounded).
func ErrorReason(err error) string {
	if err == nil {
		return ""
	}
	var r Reasoner
	switch {
	case errors.As(err, &r):
		return clip(r.Reason())
	case errors.Is(err, os.ErrNotExist):
		return "file not found"
	case errors.Is(err, context.DeadlineExceeded):
		return "timed out"
	}
	return clip(err.Error())
}

func clip(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > maxReasonLen {
		s = s[:maxReasonLen] + "…"
	}
	return s
}

// Reasons counts failures by reason.
type Reasons map[string]int

// Add counts one failure.
func (r Reasons) Add(reason string) { r[reason]++ }

// Total is the number of failures counted.
func (r Reasons) Total() int {
	n := 0
	for _, k := range r {
		n += k
	}
	return n
}

// maxReasonsShown bounds the reasons one summary line lists.
const maxReasonsShown = 5

// String lists the reasons, most frequent first, each with its count:
// "connection refused to http://127.0.0.1:38799/v1 (6093)". At most five
// are shown; the rest are summed, so the line stays short whatever fails.
func (r Reasons) String() string {
	keys := make([]string, 0, len(r))
	for k := range r {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if c := cmp.Compare(r[b], r[a]); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	var parts []string
	rest, restN := 0, 0
	for i, k := range keys {
		if i < maxReasonsShown {
			parts = append(parts, fmt.Sprintf("%s (%d)", k, r[k]))
			continue
		}
		rest++
		restN += r[k]
	}
	if rest > 0 {
		parts = append(parts, fmt.Sprintf("%d more reasons (%d)", rest, restN))
	}
	return strings.Join(parts, "; ")
}
