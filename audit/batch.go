package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/cxrkit/cxrkit"
)

// BatchDefaults is the one home of the batch defaults.
func BatchDefaults() BatchOptions { return BatchOptions{Concurrency: 8} }

// BatchOptions configure a batch run.
type BatchOptions struct {
	// Out is the results JSONL. It is an append log, locked while a run
	// writes it: finished results in it are not redone, errored ones are
	// retried (unless KeepErrors), and a torn last line (a killed run) is
	// cut off. Empty means results go only to Sink.
	Out         string
	Concurrency int
	// KeepErrors treats errored results in Out as finished.
	KeepErrors bool
	Progress   func(done, total int)
	// Sink, when set, receives every result too, with the cause of its
	// error (nil when it has none) for errors.Is and errors.As.
	Sink func(r cxrkit.Result, cause error)
}

// BatchSummary counts a batch run.
type BatchSummary struct {
	Cases       int `json:"cases"`
	AlreadyDone int `json:"already_done"`
	// Retried counts errored results of an earlier run asked again.
	Retried int `json:"retried_errors"`
	// KeptErrors counts errored results kept by KeepErrors.
	KeptErrors     int            `json:"kept_errors"`
	Audited        int            `json:"audited"`
	Duplicates     int            `json:"duplicate_case_ids"`
	GroundingOK    int            `json:"grounding_ok"`
	Salvaged       int            `json:"grounding_salvaged"`
	Failed         int            `json:"grounding_failed"`
	Gold           int            `json:"grounding_gold"`
	Errors         int            `json:"errors"`
	ErrorReasons   cxrkit.Reasons `json:"error_reasons,omitempty"`
	Seconds        float64        `json:"seconds"`
	CasesPerSecond float64        `json:"cases_per_second"`
	Interrupted    bool           `json:"interrupted"`
	// WriteFailed is set when writing results failed; the run stopped
	// asking the model at that point.
	WriteFailed string `json:"write_failed,omitempty"`
}

func (s BatchSummary) String() string {
	g := fmt.Sprintf("ok %d / salvaged %d / failed %d", s.GroundingOK, s.Salvaged, s.Failed)
	if s.Gold > 0 {
		g = fmt.Sprintf("gold %d", s.Gold)
	}
	done := fmt.Sprintf("%d already done", s.AlreadyDone)
	if s.Retried > 0 {
		done += fmt.Sprintf(", %d errored retried", s.Retried)
	}
	line := fmt.Sprintf("cxrkit audit: %d cases (%s), %d audited: %s, errors %d; %.1f cases/s",
		s.Cases, done, s.Audited, g, s.Errors, s.CasesPerSecond)
	if s.Duplicates > 0 {
		line += fmt.Sprintf("; %d duplicate case_ids skipped", s.Duplicates)
	}
	if s.Errors > 0 {
		line += fmt.Sprintf("\n  %d errors: %s", s.Errors, s.ErrorReasons)
	}
	if s.KeptErrors > 0 {
		line += fmt.Sprintf("\n  %d errored results of an earlier run kept (--keep-errors)", s.KeptErrors)
	}
	if s.WriteFailed != "" {
		line += "\n  stopped: writing results failed (" + s.WriteFailed + "); no further cases were sent to the model"
	}
	if s.Interrupted {
		line += "\n  interrupted: rerun the same command to resume"
	}
	return line + "\n  " + cxrkit.Disclaimer + "\n"
}

// Partial is nil when every case has a good result, else an error that
// is cxrkit.ErrPartial and names the failures by reason.
func (s BatchSummary) Partial() error {
	if s.Errors+s.KeptErrors == 0 {
		return nil
	}
	why := ""
	if s.Errors > 0 {
		why = ": " + s.ErrorReasons.String()
	}
	return fmt.Errorf("%w: %d of %d cases have an error%s; rerun the same command to retry them",
		cxrkit.ErrPartial, s.Errors+s.KeptErrors, s.Cases, why)
}

// ErrorRate is the share of this run's audited cases that ended in error.
func (s BatchSummary) ErrorRate() float64 {
	if s.Audited == 0 {
		return 0
	}
	return float64(s.Errors) / float64(s.Audited)
}

// RunBatch audits inputs with Concurrency workers. Every input ends as
// exactly one result line (with error set when it failed); good results
// already in Out are kept and their cases skipped. When results cannot be
// written (a full disk) the run stops asking the model and returns the
// write error.
func (a *Auditor) RunBatch(ctx context.Context, inputs []Input, o BatchOptions) (BatchSummary, error) {
	start := time.Now()
	s := BatchSummary{Cases: len(inputs), ErrorReasons: cxrkit.Reasons{}}
	done := map[string]bool{}
	var out *os.File
	if o.Out != "" {
		release, err := cxrkit.LockOutput(o.Out)
		if err != nil {
			return s, err
		}
		defer release()
		if done, s.Retried, s.KeptErrors, err = priorResults(o.Out, o.KeepErrors); err != nil {
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
	// A failed write cancels runCtx: no more model calls whose results
	// could not be kept.
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	workers := max(1, o.Concurrency)
	jobs := a.feed(runCtx, todo, workers)
	type outcome struct {
		res   cxrkit.Result
		cause error
	}
	// Buffered so fast (gold) runs can batch their writes; see resultWriter.
	results := make(chan outcome, 4*workers+64)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for in := range jobs {
				r, cause := a.Run(runCtx, in)
				results <- outcome{r, cause}
			}
		}()
	}
	go func() { wg.Wait(); close(results) }()
	var writeErr error
	w := newResultWriter(out)
	failWrite := func(err error) {
		writeErr = fmt.Errorf("write %s: %w", o.Out, err)
		s.WriteFailed = writeErr.Error()
		stop()
	}
	for oc := range results {
		r := oc.res
		if writeErr != nil || ctx.Err() != nil && r.Error != nil {
			// Cut short by an interruption or a failed write: leave the
			// case for the next run.
			continue
		}
		if out != nil {
			if err := w.add(r, len(results) == 0); err != nil {
				failWrite(err)
				continue
			}
		}
		if o.Sink != nil {
			o.Sink(r, oc.cause)
		}
		s.count(r, oc.cause)
		if o.Progress != nil {
			o.Progress(s.Audited, len(todo))
		}
	}
	if out != nil && writeErr == nil {
		if err := w.flush(); err != nil {
			failWrite(err)
		} else if err := out.Sync(); err != nil {
			failWrite(err)
		}
	}
	s.Seconds = time.Since(start).Seconds()
	if s.Seconds > 0 {
		s.CasesPerSecond = float64(s.Audited) / s.Seconds
	}
	if writeErr != nil {
		return s, writeErr
	}
	if ctx.Err() != nil {
		s.Interrupted = true
		return s, ctx.Err()
	}
	return s, nil
}

// Preparer is a Grounder that can do an image's local work (decoding,
// scaling, encoding) ahead of its request.
type Preparer interface {
	Prepare(ctx context.Context, img cxrkit.ImageRef) error
	// KeepPrepared says how many prepared images wait for their grounding
	// at once in this batch; a grounder that keeps prepared images until
	// their grounding sizes its memory by it.
	KeepPrepared(n int)
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
	preparers := max(1, runtime.GOMAXPROCS(0))
	// Prepared images wait in ready (workers), in a worker's hands before
	// its grounding (workers) and in a preparer's (one each).
	p.KeepPrepared(2*workers + preparers)
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
	for range preparers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for x := range in {
				// A failure here surfaces again, with its message, when the
				// worker grounds the case.
				_ = p.Prepare(ctx, x.Image)
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

func (s *BatchSummary) count(r cxrkit.Result, cause error) {
	s.Audited++
	if r.Error != nil {
		s.Errors++
		if cause == nil {
			cause = errors.New(*r.Error)
		}
		s.ErrorReasons.Add(cxrkit.ErrorReason(cause))
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
