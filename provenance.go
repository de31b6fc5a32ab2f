package cxrkit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Provenance records what produced a report: a figure quoted from it can
// be traced to the exact cxrkit build, command line and input bytes.
type Provenance struct {
	Version string `json:"cxrkit_version"`
	// Command is the command line as given (arguments unquoted).
	Command []string    `json:"command"`
	Inputs  []InputFile `json:"inputs"`
	// Splits are the splits the report covers; empty means every split.
	Splits []Split `json:"splits"`
	Seed   int64   `json:"seed"`
	// Date is when the report was made, UTC, to the second.
	Date time.Time `json:"date"`
}

// InputFile is one input file of a report.
type InputFile struct {
	// Flag is the flag or config key that named the file ("pred").
	Flag   string `json:"flag"`
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	Bytes  int64  `json:"bytes"`
	// Rows is the number of rows read from the file: every record its
	// reader loaded (JSONL lines, CSV records), whether used or not.
	Rows int `json:"rows"`
	// Dropped counts the rows read but not used, by reason (a failed
	// result superseded by its retry, a case outside the evaluated
	// splits); rows used are Rows minus their sum.
	Dropped map[string]int `json:"rows_dropped,omitempty"`
}

// RowsUsed is the number of rows the report was computed from.
func (in InputFile) RowsUsed() int {
	n := in.Rows
	for _, d := range in.Dropped {
		n -= d
	}
	return n
}

// RowsText says the rows of the input for a report table: "950", or
// "1000 read, 950 used (50 superseded by a retry)".
func (in InputFile) RowsText() string {
	if len(in.Dropped) == 0 {
		return strconv.Itoa(in.Rows)
	}
	var why []string
	for _, r := range slices.Sorted(maps.Keys(in.Dropped)) {
		why = append(why, fmt.Sprintf("%d %s", in.Dropped[r], r))
	}
	return fmt.Sprintf("%d read, %d used (%s)", in.Rows, in.RowsUsed(), strings.Join(why, ", "))
}

// Drop records n rows of the input named flag as read but not used, for
// reason; n of zero records nothing.
func (p *Provenance) Drop(flag, reason string, n int) {
	if n <= 0 {
		return
	}
	for i := range p.Inputs {
		if in := &p.Inputs[i]; in.Flag == flag {
			if in.Dropped == nil {
				in.Dropped = map[string]int{}
			}
			in.Dropped[reason] += n
			return
		}
	}
}

// NewProvenance starts a provenance record for this build, now.
func NewProvenance(command []string, seed int64, splits ...Split) *Provenance {
	if splits == nil {
		splits = []Split{} // [] rather than null: every split
	}
	return &Provenance{Version: VersionString(), Command: command, Splits: splits, Seed: seed,
		Date: time.Now().UTC().Truncate(time.Second), Inputs: []InputFile{}}
}

// AddInput hashes the file at path and records it with the rows its
// reader loaded.
func (p *Provenance) AddInput(ctx context.Context, flag, path string, rows int) error {
	in, err := HashInput(ctx, flag, path, rows)
	if err != nil {
		return err
	}
	p.Inputs = append(p.Inputs, in)
	return nil
}

// HashInput reads the file at path once for its sha256 and size.
func HashInput(ctx context.Context, flag, path string, rows int) (InputFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return InputFile{}, fmt.Errorf("provenance: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, ctxReader{ctx, f})
	if err != nil {
		return InputFile{}, fmt.Errorf("provenance: hashing %s: %w", path, err)
	}
	return InputFile{Flag: flag, Path: path, SHA256: hex.EncodeToString(h.Sum(nil)), Bytes: n, Rows: rows}, nil
}

// ctxReader stops a long read when its context is cancelled.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// CommandLine is Command quoted for a POSIX shell, to be pasted back.
func (p *Provenance) CommandLine() string {
	parts := make([]string, len(p.Command))
	for i, a := range p.Command {
		parts[i] = shellQuote(a)
	}
	return strings.Join(parts, " ")
}

// SplitsText names the splits covered, "all" when unrestricted.
func (p *Provenance) SplitsText() string {
	if len(p.Splits) == 0 {
		return "all"
	}
	names := make([]string, len(p.Splits))
	for i, s := range p.Splits {
		names[i] = string(s)
	}
	return strings.Join(names, ",")
}

func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=:,@+%", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
