package main

import (
	"fmt"

	"github.com/cxrkit/cxrkit/pipeline"
	"github.com/urfave/cli/v2"
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
		&cli.StringFlag{Name: "batch-images", Value: string(d.BatchImages), Usage: "how a batch file carries images: base64 (data URLs inside the file) or file (file:// URLs of PNGs written to --batch-image-dir; run vllm run-batch with --allowed-local-media-path DIR)"},
		&cli.StringFlag{Name: "batch-image-dir", Usage: "with --batch-images file: folder for the images (default: batch_images beside the batch file); emit and ingest must use the same one"},
	}
}

// batchFiles reads the batch-file flags. --batch-images counts only
// when given, so that it alone is refused without a batch file.
func batchFiles(c *cli.Context) (pipeline.BatchFiles, error) {
	b := pipeline.BatchFiles{Emit: c.String("emit-batch"), EmitDraft: c.String("emit-draft-batch"),
		Ingest: c.StringSlice("ingest-batch"), IngestDraft: c.StringSlice("ingest-draft-batch"),
		Resubmit: c.String("resubmit-batch"), ImageDir: c.String("batch-image-dir")}
	if c.IsSet("batch-images") {
		images, err := pipeline.ParseBatchImages(c.String("batch-images"))
		if err != nil {
			return b, usageError{fmt.Errorf("--batch-images %w", err)}
		}
		b.Images = images
	}
	return b, nil
}
