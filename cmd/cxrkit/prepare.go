package main

import (
	"context"
	"fmt"

	"github.com/cxrkit/cxrkit/boxes"
	"github.com/cxrkit/cxrkit/dataset"
	"github.com/cxrkit/cxrkit/labelmap"
	"github.com/urfave/cli/v2"
)

func prepareCommand() *cli.Command {
	d := dataset.Defaults()
	return &cli.Command{
		Name:  "prepare",
		Usage: "turn public dataset annotations into one clean, merged, deduplicated, split corpus",
		Description: "Writes corpus.jsonl, report.json and rejects.jsonl into --out. Every input row is kept,\n" +
			"dropped (unmapped label) or rejected with file:line and reason.",
		Flags: []cli.Flag{
			&cli.StringSliceFlag{Name: "vindr", Usage: "VinDr-CXR CSV: Kaggle train.csv (with or without the 512-px mirror's width,height), PhysioNet annotations_*.csv or image_labels_*.csv; repeatable"},
			&cli.StringSliceFlag{Name: "vindr-meta", Usage: "VinDr image-size CSV (image_id,dim0,dim1 or image_id,width,height); repeatable"},
			&cli.StringFlag{Name: "vindr-images", Usage: "VinDr image folder (PNG, JPEG or DICOM): image paths; box scale only from full-resolution headers (DICOM, or over 1024 px)"},
			&cli.StringSliceFlag{Name: "vqa", Usage: "VinDr-CXR-VQA JSON, nested as published or flat (works without --vindr); repeatable"},
			&cli.StringSliceFlag{Name: "chestxdet", Usage: "ChestX-Det JSON, the Hugging Face mirror folder (data/*.parquet, id2label.json) or one shard; repeatable"},
			&cli.StringFlag{Name: "chestxdet-images", Usage: "ChestX-Det image folder"},
			&cli.StringSliceFlag{Name: "nih-bbox", Usage: "NIH BBox_List_2017.csv; repeatable"},
			&cli.StringSliceFlag{Name: "nih-entries", Usage: "NIH Data_Entry_2017.csv or sample_labels.csv; repeatable"},
			&cli.StringFlag{Name: "nih-images", Usage: "NIH images: a folder, a zip archive or a folder of zip archives (read in place)"},
			labelmapFlag(),
			&cli.StringFlag{Name: "merge", Value: string(d.Merge), Usage: "merge boxes of one label from several readers: wbf, mean or none"},
			&cli.Float64Flag{Name: "merge-iou", Value: d.MergeIoU, Usage: "IoU threshold of --merge"},
			&cli.IntFlag{Name: "min-readers", Value: d.MinReaders, Usage: "drop merged boxes drawn by fewer readers"},
			&cli.Float64Flag{Name: "cross-iou", Value: d.CrossIoU, Usage: "drop a box overlapping a more specific label's box at this IoU (0 disables)"},
			&cli.BoolFlag{Name: "dedup-images", Usage: "find the same radiograph under two names across sources (needs image folders)"},
			&cli.Int64Flag{Name: "max-pixels", Value: d.MaxPixels, Usage: "refuse images whose header declares more pixels than this, before decoding"},
			&cli.Int64Flag{Name: "max-image-mb", Value: d.MaxImageMB, Usage: "largest image file, and decoding memory for one image, in MiB; a larger image is refused before it is read"},
			&cli.IntFlag{Name: "dedup-distance", Value: d.DedupDistance, Usage: "max perceptual-hash distance (bits of 64) for --dedup-images"},
			&cli.StringFlag{Name: "normal-ratio", Value: dataset.FormatNormalRatio(d.NormalRatio), Usage: "normal images kept per positive image, or all"},
			&cli.Float64Flag{Name: "val-fraction", Value: d.ValFraction, Usage: "fraction of images in the validation split"},
			&cli.Float64Flag{Name: "test-fraction", Value: d.TestFraction, Usage: "fraction of images in the test split"},
			&cli.StringFlag{Name: "holdout-list", Usage: "file of image ids (one per line) forced into the test split"},
			&cli.Int64Flag{Name: "seed", Value: d.Seed, Usage: "seed of balancing and splitting"},
			&cli.StringFlag{Name: "unmapped-only", Value: string(d.UnmappedOnly), Usage: "an image read in full whose only labels are outside the six: normal (write it as no_finding) or drop"},
			&cli.BoolFlag{Name: "strict", Usage: "exit non-zero (and write no corpus) when any row is rejected"},
			&cli.StringFlag{Name: "out", Required: true, Usage: "output folder"},
		},
		Action: func(c *cli.Context) error {
			if err := noArgs(c); err != nil {
				return err
			}
			if err := refuseOverlap(c, []string{"vindr", "vindr-meta", "vindr-images", "vqa", "chestxdet", "chestxdet-images",
				"nih-bbox", "nih-entries", "nih-images", "labelmap", "holdout-list"}, []string{"out"}); err != nil {
				return err
			}
			opts, err := prepareOptions(c)
			if err != nil {
				return err
			}
			return runPrepare(c.Context, opts, globals(c), c.Args().Slice())
		},
	}
}

// runPrepare writes the corpus and says what it kept, dropped and
// rejected, and where the files are (only those that exist).
func runPrepare(ctx context.Context, opts dataset.Options, gopts globalOptions, _ []string) error {
	var err error
	if opts.Vocab == nil {
		if opts.Vocab, err = labelmap.LoadFile(opts.Labelmap); err != nil {
			return err
		}
	}
	if opts.HoldoutSource != "" && opts.HoldoutIDs == nil {
		if opts.HoldoutIDs, err = dataset.ReadIDList(opts.HoldoutSource); err != nil {
			return err
		}
	}
	restoreGC := tuneGCForPrepare()
	rep, err := dataset.Prepare(ctx, opts)
	restoreGC()
	if err == nil {
		err = rep.NoImages()
	}
	if rep != nil {
		fmt.Fprint(gopts.stderr, rep.Summary())
		for _, k := range []string{"corpus", "report", "rejects"} {
			if p, ok := rep.Outputs[k]; ok {
				fmt.Fprintf(gopts.stderr, "  %-8s %s\n", k, p)
			}
		}
	}
	return err
}

func prepareOptions(c *cli.Context) (dataset.Options, error) {
	o := dataset.Defaults()
	o.VinDr, o.VinDrMeta, o.VinDrImages = c.StringSlice("vindr"), c.StringSlice("vindr-meta"), c.String("vindr-images")
	o.VQA = c.StringSlice("vqa")
	o.ChestXDet, o.ChestXDetImage = c.StringSlice("chestxdet"), c.String("chestxdet-images")
	o.NIHBoxes, o.NIHEntries, o.NIHImages = c.StringSlice("nih-bbox"), c.StringSlice("nih-entries"), c.String("nih-images")
	m, err := boxes.ParseMethod(c.String("merge"))
	if err != nil {
		return o, usageError{err}
	}
	o.Merge, o.MergeIoU, o.MinReaders, o.CrossIoU = m, c.Float64("merge-iou"), c.Int("min-readers"), c.Float64("cross-iou")
	o.DedupImages, o.DedupDistance = c.Bool("dedup-images"), c.Int("dedup-distance")
	o.MaxPixels, o.MaxImageMB = c.Int64("max-pixels"), c.Int64("max-image-mb")
	if o.NormalRatio, err = dataset.ParseNormalRatio(c.String("normal-ratio")); err != nil {
		return o, usagef("--normal-ratio: %v", err)
	}
	o.ValFraction, o.TestFraction, o.Seed = c.Float64("val-fraction"), c.Float64("test-fraction"), c.Int64("seed")
	o.HoldoutSource = c.String("holdout-list")
	if o.UnmappedOnly, err = dataset.ParseUnmappedRule(c.String("unmapped-only")); err != nil {
		return o, usagef("--unmapped-only: %v", err)
	}
	o.Strict, o.Out = c.Bool("strict"), c.String("out")
	o.Labelmap = c.String("labelmap")
	o.Flags, o.Command = flagValues(c), commandLine(c)
	o.Progress = progressFor(c.App.ErrWriter)
	return o, nil
}

// flagValues records every flag of the command with its effective value.
func flagValues(c *cli.Context) map[string]any {
	out := map[string]any{}
	for _, f := range c.Command.Flags {
		name := f.Names()[0]
		switch f.(type) {
		case *cli.BoolFlag:
			if name != "help" {
				out[name] = c.Bool(name)
			}
		case *cli.StringSliceFlag:
			out[name] = append([]string{}, c.StringSlice(name)...)
		default:
			out[name] = c.Value(name)
		}
	}
	return out
}
