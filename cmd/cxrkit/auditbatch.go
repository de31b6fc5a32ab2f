package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/cxrkit/cxrkit/audit"
	"github.com/cxrkit/cxrkit/infer"
	"github.com/cxrkit/cxrkit/pipeline"
	"github.com/urfave/cli/v2"
)

// Ways images travel in a batch file.
const (
	batchImagesBase64 = "base64"
	batchImagesFile   = "file"
)

// batchFlags are audit's batch-file flags (vllm run-batch).
func batchFlags() []cli.Flag {
	d := pipeline.AuditorDefaults()
	return []cli.Flag{
		&cli.StringFlag{Name: "emit-batch", Usage: "write an OpenAI batch file of the grounding requests (for vllm run-batch) instead of calling the endpoint"},
		&cli.StringFlag{Name: "emit-draft-batch", Usage: "with --emit-batch and --draft-parser llm: write the draft model's requests to this batch file"},
		&cli.StringSliceFlag{Name: "ingest-batch", Usage: "read grounding answers from vllm run-batch output files instead of calling the endpoint (repeat: a resubmission's output answers what the first could not)"},
		&cli.StringSliceFlag{Name: "ingest-draft-batch", Usage: "read the draft model's answers from vllm run-batch output files (repeatable)"},
		&cli.StringFlag{Name: "resubmit-batch", Usage: "with --ingest-batch: where to write the batch file of the requests that got no answer (default: OUTPUT.resubmit.jsonl beside the first output)"},
		&cli.StringFlag{Name: "batch-images", Value: d.BatchImages, Usage: "how a batch file carries images: base64 (data URLs inside the file) or file (file:// URLs of PNGs written to --batch-image-dir; run vllm run-batch with --allowed-local-media-path DIR)"},
		&cli.StringFlag{Name: "batch-image-dir", Usage: "with --batch-images file: folder for the images (default: batch_images beside the batch file); emit and ingest must use the same one"},
	}
}

// batchRun is one emit or ingest run of batch files.
type batchRun struct {
	grounding, draft *infer.Recorder
	answers          []*infer.BatchAnswers
	imageDir         string
}

// setBatchChat replaces the model clients with batch recorders or
// answers when --emit-batch or --ingest-batch is given; nil when neither.
func setBatchChat(c *cli.Context, cfg *pipeline.AuditorConfig) (*batchRun, error) {
	emit, ingest := c.String("emit-batch"), c.StringSlice("ingest-batch")
	emitDraft, ingestDraft := c.String("emit-draft-batch"), c.StringSlice("ingest-draft-batch")
	switch {
	case emit == "" && len(ingest) == 0:
		if emitDraft != "" || len(ingestDraft) > 0 || c.IsSet("batch-images") || c.IsSet("resubmit-batch") {
			return nil, usagef("--emit-draft-batch, --ingest-draft-batch, --batch-images and --resubmit-batch go with --emit-batch or --ingest-batch")
		}
		return nil, nil
	case emit != "" && len(ingest) > 0:
		return nil, usagef("audit: --emit-batch and --ingest-batch are two separate runs")
	case cfg.Model == "":
		return nil, usagef("--emit-batch and --ingest-batch need --model (the name vllm serves)")
	case (emitDraft != "" || len(ingestDraft) > 0) && (cfg.DraftParser != "llm" || cfg.DraftModel == ""):
		return nil, usagef("--emit-draft-batch and --ingest-draft-batch need --draft-parser llm and --draft-model")
	case emit != "" && len(ingestDraft) > 0, len(ingest) > 0 && emitDraft != "":
		return nil, usagef("emit both batch files in one run and ingest both in another")
	}
	b := &batchRun{}
	switch c.String("batch-images") {
	case batchImagesBase64:
	case batchImagesFile:
		b.imageDir = c.String("batch-image-dir")
		if b.imageDir == "" {
			first := emit
			if first == "" {
				first = ingest[0]
			}
			b.imageDir = filepath.Join(filepath.Dir(first), "batch_images")
		}
		cfg.ImageDir = b.imageDir
	default:
		return nil, usagef("--batch-images %q: want %s or %s", c.String("batch-images"), batchImagesBase64, batchImagesFile)
	}
	// A batch file holds one attempt per request.
	cfg.Attempts, cfg.DraftAttempts = 1, 1
	if emit != "" {
		b.grounding = infer.NewRecorder(cfg.Model, cfg.ExtraBody)
		cfg.Chat = b.grounding
		if emitDraft != "" {
			b.draft = infer.NewRecorder(cfg.DraftModel, cfg.ExtraBody)
			cfg.DraftChat = b.draft
		}
		return b, nil
	}
	answers, err := infer.ReadBatchOutput(ingest, cfg.Model, cfg.ExtraBody)
	if err != nil {
		return nil, err
	}
	cfg.Chat = answers
	b.answers = append(b.answers, answers)
	if len(ingestDraft) > 0 {
		da, err := infer.ReadBatchOutput(ingestDraft, cfg.DraftModel, cfg.ExtraBody)
		if err != nil {
			return nil, err
		}
		cfg.DraftChat = da
		b.answers = append(b.answers, da)
	}
	return b, nil
}

// emit writes the batch files of every case's requests.
func (b *batchRun) emit(ctx context.Context, c *cli.Context, a *audit.Auditor, inputs []audit.Input) error {
	var more []pipeline.RecordedFile
	if b.draft != nil {
		more = append(more, pipeline.RecordedFile{Rec: b.draft, Path: c.String("emit-draft-batch")})
	}
	n, err := pipeline.EmitBatch(ctx, a, b.grounding, inputs, c.Int("concurrency"), c.String("emit-batch"), more...)
	if err != nil {
		return err
	}
	w := c.App.ErrWriter
	fmt.Fprintf(w, "cxrkit audit: %d cases -> %d distinct grounding requests in %s\n", len(inputs), n, c.String("emit-batch"))
	media := ""
	if b.imageDir != "" {
		media = " --allowed-local-media-path " + b.imageDir
		fmt.Fprintf(w, "  images: file:// URLs of PNGs in %s\n", b.imageDir)
	}
	fmt.Fprintf(w, "  run: vllm run-batch -i %s -o OUTPUT.jsonl --model %s%s\n", c.String("emit-batch"), c.String("model"), media)
	if b.draft != nil {
		fmt.Fprintf(w, "  %d distinct draft requests in %s\n  run: vllm run-batch -i %s -o DRAFT_OUTPUT.jsonl --model %s\n",
			b.draft.Len(), c.String("emit-draft-batch"), c.String("emit-draft-batch"), c.String("draft-model"))
	}
	fmt.Fprintf(w, "  then: cxrkit audit --ingest-batch OUTPUT.jsonl (same flags) --cases ... --out ...\n")
	return nil
}

// afterIngest writes the resubmission batch files of requests that got
// no answer and says how to finish.
func (b *batchRun) afterIngest(c *cli.Context, w io.Writer) error {
	names := []string{"ingest-batch", "ingest-draft-batch"}
	for i, ans := range b.answers {
		if ans.Unanswered() == 0 {
			continue
		}
		first := c.StringSlice(names[i])[0]
		path := c.String("resubmit-batch")
		if path == "" || i > 0 {
			path = strings.TrimSuffix(first, filepath.Ext(first)) + ".resubmit.jsonl"
		}
		if err := ans.WriteResubmission(path); err != nil {
			return err
		}
		fmt.Fprintf(w, "  %d requests got no answer; resubmit them: vllm run-batch -i %s -o RESUBMIT_OUT.jsonl --model %s\n"+
			"  then rerun with --%s %s --%s RESUBMIT_OUT.jsonl (errored cases are audited again)\n",
			ans.Unanswered(), path, ans.Model(), names[i], strings.Join(c.StringSlice(names[i]), " --"+names[i]+" "), names[i])
	}
	return nil
}
