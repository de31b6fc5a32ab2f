package audit

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/cxrkit/cxrkit"
)

// BatchOptions configure a batch run.
type BatchOptions struct {
	// Out is the results JSONL. It is an append log: results already in it
	// are not redone, and a torn last line (a killed run) is cut off.
	// Empty means results go only to Sink.
	Out         string
	Concurrency int
	Progress    func(done, total int)
	// Sink, when set, receives every result too, with the cause of its
	// error (nil when it has none) for errors.Is and errors.As.
	Sink func(r cxrkit.Result, cause error)
}

// BatchSummary counts a batch run.
type BatchSummary struct {
	Cases          int     `json:"cases"`
	AlreadyDone    int     `json:"already_done"`
	Audited        int     `json:"audited"`
	Duplicates     int     `json:"duplicate_case_ids"`
	GroundingOK    int     `json:"grounding_ok"`
	Salvaged       int     `json:"grounding_salvaged"`
	Failed         int     `json:"grounding_failed"`
	Gold           int     `json:"grounding_gold"`
	Errors         int     `json:"errors"`
	Seconds        float64 `json:"seconds"`
	CasesPerSecond float64 `json:"cases_per_second"`
	Interrupted    bool    `json:"interrupted"`
}

func (s BatchSummary) String() string {
	g := fmt.Sprintf("ok %d / salvaged %d / failed %d", s.GroundingOK, s.Salvaged, s.Failed)
	if s.Gold > 0 {
		g = fmt.Sprintf("gold %d", s.Gold)
	}
	line := fmt.Sprintf("cxrkit audit: %d cases (%d already done), %d audited: %s, errors %d; %.1f cases/s",
		s.Cases, s.AlreadyDone, s.Audited, g, s.Errors, s.CasesPerSecond)
	if s.Duplicates > 0 {
		line += fmt.Sprintf("; %d duplicate case_ids skipped", s.Duplicates)
	}
	if s.Interrupted {
		line += "; interrupted: rerun the same command to resume"
	}
	return line + "\n  " + cxrkit.Disclaimer + "\n"
}

// RunBatch audits inputs with Concurrency workers. Every input ends as
// exactly one result line (with error set when it failed); results already
// in Out are kept and their cases skipped.
func (a *Auditor) RunBatch(ctx context.Context, inputs []Input, o BatchOptions) (BatchSummary, error) {
	start := time.Now()
	s := BatchSummary{Cases: len(inputs)}
	done := map[string]bool{}
	var out *os.File
	if o.Out != "" {
		var err error
		if done, err = repairResults(o.Out); err != nil {
			return s, err
		}
		if err := os.MkdirAll(filepath.Dir(o.Out), 0o755); err != nil {
			return s, err
		}
		out, err = os.OpenFile(o.Out, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return s, err
		}
		defer out.Close()
	}
	var todo []Input
	seen := map[string]bool{}
	for _, in := range inputs {
		switch {
		case seen[in.CaseID]:
			s.Duplicates++
		case done[in.CaseID]:
			s.AlreadyDone++
		default:
			todo = append(todo, in)
		}
		seen[in.CaseID] = true
	}
	workers := max(1, o.Concurrency)
	jobs := a.feed(ctx, todo, workers)
	// Buffered so fast (gold) runs can batch their writes; see resultWriter.
	type outcome struct {
		cxrkit.Result
		cause error
	}
	results := make(chan outcome, 4*workers+64)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for in := range jobs {
				r, cause := a.Run(ctx, in)
				results <- outcome{r, cause}
			}
		}()
	}
	go func() { wg.Wait(); close(results) }()
	var writeErr error
	w := newResultWriter(out)
	for oc := range results {
		r := oc.Result
		if ctx.Err() != nil && r.Error != nil {
			// Cut short by the interruption: leave the case for the next run.
			continue
		}
		if out != nil && writeErr == nil {
			writeErr = w.add(r, len(results) == 0)
		}
		if o.Sink != nil {
			o.Sink(r, oc.cause)
		}
		s.count(r)
		if o.Progress != nil {
			o.Progress(s.Audited, len(todo))
		}
	}
	if out != nil {
		if err := w.flush(); err != nil && writeErr == nil {
			writeErr = err
		}
		if err := out.Sync(); err != nil && writeErr == nil {
			writeErr = err
		}
	}
	s.Seconds = time.Since(start).Seconds()
	if s.Seconds > 0 {
		s.CasesPerSecond = float64(s.Audited) / s.Seconds
	}
	if ctx.Err() != nil {
		s.Interrupted = true
		return s, ctx.Err()
	}
	return s, writeErr
}

// Preparer is a Grounder that can do an image's local work (decoding,
// scaling, encoding) ahead of its request.
type Preparer interface {
	Prepare(ctx context.Context, img cxrkit.ImageRef) error
}

// feed sends inputs to the request workers. When the grounder can prepare
// images, a look-ahead stage on every core prepares the next ones while
// the workers wait on the network, so local CPU work is not added to each
// request's latency.
func (a *Auditor) feed(ctx context.Context, todo []Input, workers int) <-chan Input {
	p, ok := a.Grounder.(Preparer)
	if !ok {
		out := make(chan Input)
		go func() {
			defer close(out)
			for _, in := range todo {
				select {
				case out <- in:
				case <-ctx.Done():
					return
				}
			}
		}()
		return out
	}
	in := make(chan Input)
	ready := make(chan Input, workers)
	go func() {
		defer close(in)
		for _, x := range todo {
			select {
			case in <- x:
			case <-ctx.Done():
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for range max(1, runtime.GOMAXPROCS(0)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for x := range in {
				// A failure here surfaces again, with its message, when the
				// worker grounds the case.
				p.Prepare(ctx, x.Image)
				select {
				case ready <- x:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	go func() { wg.Wait(); close(ready) }()
	return ready
}

func (s *BatchSummary) count(r cxrkit.Result) {
	s.Audited++
	if r.Error != nil {
		s.Errors++
		if r.Attempts == 0 {
			// No answer to judge: a transport or image failure.
			return
		}
	}
	switch r.Parse.Grounding {
	case cxrkit.ParseOK:
		s.GroundingOK++
	case cxrkit.ParseSalvaged:
		s.Salvaged++
	case cxrkit.ParseFailed:
		s.Failed++
	case cxrkit.ParseGold:
		s.Gold++
	}
}

// resultWriter appends result lines to the results file, whole lines
// per write, so a kill can tear at most the last line. Lines are written
// as soon as no further result is waiting (a model run writes each result
// as it arrives) or when 256 KiB are buffered (a gold run, which produces
// tens of thousands of results a second, makes a few hundred writes
// rather than one per case). A kill loses at most the buffered results;
// the next run redoes them.
type resultWriter struct {
	f   *os.File
	buf bytes.Buffer
	enc *json.Encoder
}

const resultWriteBatch = 256 << 10

func newResultWriter(f *os.File) *resultWriter {
	w := &resultWriter{f: f}
	w.enc = cxrkit.NewJSONLEncoder(&w.buf)
	return w
}

// add encodes r and writes the buffered lines when idle or full.
func (w *resultWriter) add(r cxrkit.Result, idle bool) error {
	if err := w.enc.Encode(r); err != nil {
		return fmt.Errorf("%s: %w", r.CaseID, err)
	}
	if idle || w.buf.Len() >= resultWriteBatch {
		return w.flush()
	}
	return nil
}

func (w *resultWriter) flush() error {
	if w.f == nil || w.buf.Len() == 0 {
		return nil
	}
	_, err := w.f.Write(w.buf.Bytes())
	w.buf.Reset()
	return err
}

// repairResults reads an existing results file, returns the case ids it
// holds, and cuts off a torn last line. A damaged line elsewhere is an
// error: the file is not cxrkit's, or was edited.
func repairResults(path string) (map[string]bool, error) {
	done := map[string]bool{}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, os.ErrNotExist) {
		return done, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 1<<16)
	var good int64
	for line := 1; ; line++ {
		data, err := br.ReadBytes('\n')
		if len(data) > 0 {
			complete := data[len(data)-1] == '\n'
			var r struct {
				CaseID string `json:"case_id"`
			}
			valid := json.Unmarshal(bytes.TrimSpace(data), &r) == nil && r.CaseID != ""
			if !complete || !valid {
				if _, perr := br.Peek(1); perr == nil || !errors.Is(perr, io.EOF) {
					if len(bytes.TrimSpace(data)) > 0 {
						return nil, fmt.Errorf("%s:%d: not a result line; refusing to resume over it", path, line)
					}
				} else {
					if err := f.Truncate(good); err != nil {
						return nil, fmt.Errorf("%s: repair torn last line: %w", path, err)
					}
					return done, nil
				}
			} else {
				done[r.CaseID] = true
			}
			good += int64(len(data))
		}
		if errors.Is(err, io.EOF) {
			return done, nil
		}
		if err != nil {
			return nil, err
		}
	}
}
