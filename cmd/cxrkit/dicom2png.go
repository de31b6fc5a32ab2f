package main

import (
	"bufio"
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/imaging"
	"github.com/urfave/cli/v2"
)

func dicom2pngCommand() *cli.Command {
	return &cli.Command{
		Name:      "dicom2png",
		Usage:     "convert uncompressed DICOM radiographs to PNG (rescale, VOI window, MONOCHROME1)",
		ArgsUsage: "FILE.dcm [FILE.dcm ...]",
		Description: "Flags go before the files. With one input, --out names the PNG; with several, --out-dir\n" +
			"receives NAME.png for each. Compressed transfer syntaxes (JPEG, JPEG 2000, ...) fail with\n" +
			"the syntax named; decompress them first (gdcmconv --raw, dcmdjpeg).",
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "bits", Value: 8, Usage: "PNG depth: 8 or 16"},
			&cli.Int64Flag{Name: "max-pixels", Value: imaging.Defaults().MaxPixels, Usage: "refuse images whose header declares more pixels than this, before decoding"},
			&cli.Int64Flag{Name: "max-image-mb", Value: imaging.DefaultMaxImageMB(), Usage: "largest image file, and decoding memory for one image, in MiB; a larger image is refused before it is read"},
			&cli.StringFlag{Name: "out", Usage: "output PNG (one input)"},
			&cli.StringFlag{Name: "out-dir", Usage: "output folder (any number of inputs)"},
		},
		Action: func(c *cli.Context) error {
			opts := dicom2pngOptions{Bits: c.Int("bits"), Out: c.String("out"), OutDir: c.String("out-dir"),
				MaxPixels: c.Int64("max-pixels"), MaxImageMB: c.Int64("max-image-mb")}
			return runDICOM2PNG(c.Context, opts, globals(c), c.Args().Slice())
		},
	}
}

// dicom2pngOptions are dicom2png's options: the PNG depth, the decoding
// limits, and where the PNGs go.
type dicom2pngOptions struct {
	Bits                  int
	MaxPixels, MaxImageMB int64
	// Out names the PNG of one input; OutDir receives NAME.png for each.
	Out, OutDir string
}

// runDICOM2PNG converts the DICOM files in args to PNG.
func runDICOM2PNG(_ context.Context, opts dicom2pngOptions, gopts globalOptions, files []string) error {
	switch {
	case len(files) == 0:
		return usagef("dicom2png: give at least one DICOM file")
	case opts.Bits != 8 && opts.Bits != 16:
		return usagef("dicom2png: --bits %d: want 8 or 16", opts.Bits)
	case opts.Out != "" && len(files) != 1:
		return usagef("dicom2png: --out takes one input; use --out-dir for %d", len(files))
	case opts.Out == "" && opts.OutDir == "":
		return usagef("dicom2png: give --out or --out-dir")
	}
	outs, err := dicomOutputs(files, opts.Out, opts.OutDir)
	if err != nil {
		return err
	}
	for i, in := range files {
		if err := convertDICOM(in, outs[i], imaging.DICOMOptions{Bits: opts.Bits, Budget: imaging.Budget(opts.MaxPixels, opts.MaxImageMB)}); err != nil {
			return err
		}
		fmt.Fprintf(gopts.stderr, "%s -> %s\n", in, outs[i])
	}
	return nil
}

func convertDICOM(in, out string, opts imaging.DICOMOptions) error {
	f, err := opts.Budget.Open(in)
	if err != nil {
		return err
	}
	defer f.Close()
	err = cxrkit.WriteFileAtomic(out, func(w *bufio.Writer) error {
		return imaging.DICOMToPNG(f, w, opts)
	})
	if err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	return nil
}

// dicomOutputs plans the output of every input before anything is written:
// it refuses flags among the files, an output over any input, and two
// inputs that would land on the same output name.
func dicomOutputs(files []string, out, outDir string) ([]string, error) {
	var ins, outs []cxrkit.PathFlag
	byOut := map[string]string{}
	for _, in := range files {
		if strings.HasPrefix(in, "-") {
			return nil, usagef("dicom2png: flag %s after a file name; flags go first", in)
		}
		o, flag := out, "--out"
		if o == "" {
			base := strings.TrimSuffix(filepath.Base(in), filepath.Ext(in))
			o, flag = filepath.Join(outDir, base+".png"), "--out-dir"
		}
		if prev, ok := byOut[filepath.Clean(o)]; ok {
			return nil, usagef("dicom2png: %s and %s would both be written to %s (--out-dir); convert them into separate folders", prev, in, o)
		}
		byOut[filepath.Clean(o)] = in
		ins = append(ins, cxrkit.PathFlag{Flag: "input", Path: in})
		outs = append(outs, cxrkit.PathFlag{Flag: flag, Path: o})
	}
	if err := requireInputs(ins); err != nil {
		return nil, err
	}
	if err := cxrkit.CheckOutputs(ins, outs); err != nil {
		return nil, err
	}
	planned := make([]string, len(outs))
	for i, o := range outs {
		planned[i] = o.Path
	}
	return planned, nil
}
