package pipeline

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/audit"
	"github.com/cxrkit/cxrkit/infer"
)

// EmitBatch runs every case through an auditor whose chat client is rec,
// so each grounding request lands in rec instead of reaching an endpoint,
// then writes rec as an OpenAI batch file at path (for vllm run-batch).
// Nothing is written when any case cannot become a request: a partial
// batch file would silently audit fewer cases.
func EmitBatch(ctx context.Context, a *audit.Auditor, rec *infer.Recorder, inputs []audit.Input, concurrency int, path string, more ...RecordedFile) (requests int, err error) {
	var failed []string
	_, err = a.RunBatch(ctx, inputs, audit.BatchOptions{Concurrency: concurrency,
		Sink: func(r cxrkit.Result, cause error) {
			if r.Error != nil && !errors.Is(cause, infer.ErrRecorded) {
				failed = append(failed, r.CaseID+": "+*r.Error)
			}
		}})
	if err != nil {
		return 0, err
	}
	if len(failed) > 0 {
		sort.Strings(failed)
		return 0, fmt.Errorf("%d of %d cases could not become requests (no batch file written): %s",
			len(failed), len(inputs), strings.Join(failed[:min(len(failed), 5)], "; "))
	}
	if err := rec.WriteFile(path); err != nil {
		return 0, err
	}
	for _, m := range more {
		if err := m.Rec.WriteFile(m.Path); err != nil {
			return 0, err
		}
	}
	return rec.Len(), nil
}

// RecordedFile is another recorder to write beside the grounding batch
// file (the draft model's requests).
type RecordedFile struct {
	Rec  *infer.Recorder
	Path string
}
