package pipeline

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/audit"
	"github.com/cxrkit/cxrkit/infer"
)

// BatchFiles are an audit's batch-file settings (vllm run-batch): emit
// the requests to files in one run, ingest the answers in another.
type BatchFiles struct {
	Emit, EmitDraft     string
	Ingest, IngestDraft []string
	// Resubmit is where the requests that got no answer go (default:
	// OUTPUT.resubmit.jsonl beside the first ingested output).
	Resubmit string
	// Images is BatchImagesBase64 or BatchImagesFile; empty means the
	// default, base64, and is the only value allowed without Emit or Ingest.
	Images BatchImages
	// ImageDir holds the PNGs of BatchImagesFile (default: batch_images
	// beside the first batch file).
	ImageDir string
}

// batchUsageError is a batch-file setting that does not fit the others.
// Its message is shown as it is; it is a cxrkit.ErrInvalidOptions.
type batchUsageError struct{ msg string }

func (e batchUsageError) Error() string { return e.msg }

func (e batchUsageError) Is(target error) bool { return target == cxrkit.ErrInvalidOptions }

func batchUsagef(format string, args ...any) error {
	return batchUsageError{fmt.Sprintf(format, args...)}
}

// BatchRun is one emit or ingest run of batch files.
type BatchRun struct {
	files             BatchFiles
	model, draftModel string
	grounding, draft  *infer.Recorder
	answers           []*infer.BatchAnswers
	imageDir          string
}

// Apply replaces cfg's model clients with batch recorders (emit) or
// recorded answers (ingest); nil when b asks for neither.
func (b BatchFiles) Apply(cfg *AuditorConfig) (*BatchRun, error) {
	emit, ingest, emitDraft, ingestDraft := b.Emit, b.Ingest, b.EmitDraft, b.IngestDraft
	switch {
	case emit == "" && len(ingest) == 0:
		if emitDraft != "" || len(ingestDraft) > 0 || b.Images != "" || b.Resubmit != "" {
			return nil, batchUsagef("--emit-draft-batch, --ingest-draft-batch, --batch-images and --resubmit-batch go with --emit-batch or --ingest-batch")
		}
		return nil, nil
	case emit != "" && len(ingest) > 0:
		return nil, batchUsagef("audit: --emit-batch and --ingest-batch are two separate runs")
	case cfg.Model == "":
		return nil, batchUsagef("--emit-batch and --ingest-batch need --model (the name vllm serves)")
	case (emitDraft != "" || len(ingestDraft) > 0) && (cfg.DraftParser != "llm" || cfg.DraftModel == ""):
		return nil, batchUsagef("--emit-draft-batch and --ingest-draft-batch need --draft-parser llm and --draft-model")
	case emit != "" && len(ingestDraft) > 0, len(ingest) > 0 && emitDraft != "":
		return nil, batchUsagef("emit both batch files in one run and ingest both in another")
	}
	r := &BatchRun{files: b, model: cfg.Model, draftModel: cfg.DraftModel}
	images, err := ParseBatchImages(string(b.Images))
	if err != nil {
		return nil, batchUsagef("--batch-images %v", err)
	}
	if images == BatchImagesFile {
		r.imageDir = b.ImageDir
		if r.imageDir == "" {
			first := emit
			if first == "" {
				first = ingest[0]
			}
			r.imageDir = filepath.Join(filepath.Dir(first), "batch_images")
		}
		cfg.ImageDir = r.imageDir
	}
	// A batch file holds one attempt per request.
	cfg.Attempts, cfg.DraftAttempts = 1, 1
	if emit != "" {
		r.grounding = infer.NewRecorder(cfg.Model, cfg.ExtraBody)
		cfg.Chat = r.grounding
		if emitDraft != "" {
			r.draft = infer.NewRecorder(cfg.DraftModel, cfg.ExtraBody)
			cfg.DraftChat = r.draft
		}
		return r, nil
	}
	answers, err := infer.ReadBatchOutput(ingest, cfg.Model, cfg.ExtraBody)
	if err != nil {
		return nil, err
	}
	cfg.Chat = answers
	r.answers = append(r.answers, answers)
	if len(ingestDraft) > 0 {
		da, err := infer.ReadBatchOutput(ingestDraft, cfg.DraftModel, cfg.ExtraBody)
		if err != nil {
			return nil, err
		}
		cfg.DraftChat = da
		r.answers = append(r.answers, da)
	}
	return r, nil
}

// Emitting reports whether this run writes batch files instead of results.
func (r *BatchRun) Emitting() bool { return r != nil && r.grounding != nil }

// Emit writes the batch files of every case's requests and tells w how
// to run them.
func (r *BatchRun) Emit(ctx context.Context, a *audit.Auditor, inputs []audit.Input, concurrency int, w io.Writer) error {
	var more []RecordedFile
	if r.draft != nil {
		more = append(more, RecordedFile{Rec: r.draft, Path: r.files.EmitDraft})
	}
	n, err := EmitBatch(ctx, a, r.grounding, inputs, concurrency, r.files.Emit, more...)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "cxrkit audit: %d cases -> %d distinct grounding requests in %s\n", len(inputs), n, r.files.Emit)
	media := ""
	if r.imageDir != "" {
		media = " --allowed-local-media-path " + r.imageDir
		fmt.Fprintf(w, "  images: file:// URLs of PNGs in %s\n", r.imageDir)
	}
	fmt.Fprintf(w, "  run: vllm run-batch -i %s -o OUTPUT.jsonl --model %s%s\n", r.files.Emit, r.model, media)
	if r.draft != nil {
		fmt.Fprintf(w, "  %d distinct draft requests in %s\n  run: vllm run-batch -i %s -o DRAFT_OUTPUT.jsonl --model %s\n",
			r.draft.Len(), r.files.EmitDraft, r.files.EmitDraft, r.draftModel)
	}
	fmt.Fprintf(w, "  then: cxrkit audit --ingest-batch OUTPUT.jsonl (same flags) --cases ... --out ...\n")
	return nil
}

// AfterIngest writes the resubmission batch files of requests that got
// no answer and tells w how to finish.
func (r *BatchRun) AfterIngest(w io.Writer) error {
	names := []string{"ingest-batch", "ingest-draft-batch"}
	files := [][]string{r.files.Ingest, r.files.IngestDraft}
	for i, ans := range r.answers {
		if ans.Unanswered() == 0 {
			continue
		}
		first := files[i][0]
		path := r.files.Resubmit
		if path == "" || i > 0 {
			path = strings.TrimSuffix(first, filepath.Ext(first)) + ".resubmit.jsonl"
		}
		if err := ans.WriteResubmission(path); err != nil {
			return err
		}
		fmt.Fprintf(w, "  %d requests got no answer; resubmit them: vllm run-batch -i %s -o RESUBMIT_OUT.jsonl --model %s\n"+
			"  then rerun with --%s %s --%s RESUBMIT_OUT.jsonl (errored cases are audited again)\n",
			ans.Unanswered(), path, ans.Model(), names[i], strings.Join(files[i], " --"+names[i]+" "), names[i])
	}
	return nil
}

// OpenCache opens the response cache in dir, or in cxrkit's folder of
// the user's cache directory when dir is empty.
func OpenCache(dir string) (*infer.BoltCache, error) {
	if dir == "" {
		var err error
		if dir, err = infer.DefaultCacheDir(); err != nil {
			return nil, err
		}
	}
	return infer.OpenCache(dir)
}
