package dataset

import (
	"errors"
	"fmt"
	"github.com/cxrkit/cxrkit/imaging"
	"math"
	"strconv"
	"strings"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/boxes"
	"github.com/cxrkit/cxrkit/labelmap"
)

// Options are the inputs and rules of one prepare run. The zero value is
// not runnable (it has no inputs and no output); Defaults fills the rules.
type Options struct {
	VinDr          []string // VinDr-CXR annotation CSVs (Kaggle or PhysioNet)
	VinDrMeta      []string // image-size CSVs
	VinDrImages    string   // image folder (PNG, JPEG, DICOM)
	VQA            []string // VinDr-CXR-VQA data_v1.json files
	ChestXDet      []string // ChestX-Det JSON files or parquet mirror files
	ChestXDetImage string
	NIHBoxes       []string // BBox_List_2017.csv
	NIHEntries     []string // Data_Entry_2017.csv or sample_labels.csv
	NIHImages      string

	Vocab *labelmap.Vocabulary

	Merge      boxes.Method
	MergeIoU   float64
	MinReaders int
	CrossIoU   float64

	DedupImages   bool
	DedupDistance int // max Hamming distance of perceptual hashes

	// MaxPixels refuses images whose header declares more pixels, before
	// decoding (sizes probed, images hashed).
	MaxPixels int64

	// NormalRatio is the number of normal images kept per positive image;
	// negative keeps every normal image (--normal-ratio all).
	NormalRatio   float64
	ValFraction   float64
	TestFraction  float64
	Seed          int64
	HoldoutIDs    []string
	HoldoutSource string // file the holdout ids came from, for the report

	// UnmappedOnly decides an exhaustively read image whose only labels
	// lie outside the six-label space: UnmappedNormal writes it as
	// no_finding, UnmappedDrop leaves it out.
	UnmappedOnly UnmappedRule `yaml:"unmapped_only"`

	Strict bool
	Out    string

	// Flags records the command line for the report.
	Flags map[string]any
	// Progress, when set, is called as images are processed.
	Progress func(stage string, done, total int)
}

// Defaults returns the SPEC defaults.
func Defaults() Options {
	return Options{UnmappedOnly: UnmappedNormal, Merge: boxes.WBF, MergeIoU: 0.5, MinReaders: 1, CrossIoU: 0.6,
		DedupDistance: 4, NormalRatio: 1, ValFraction: 0.1, MaxPixels: imaging.Defaults().MaxPixels}
}

// UnmappedRule is what prepare does with an image whose only labels lie
// outside the six-label space.
type UnmappedRule string

// The --unmapped-only rules.
const (
	UnmappedNormal UnmappedRule = "normal"
	UnmappedDrop   UnmappedRule = "drop"
)

// ParseUnmappedRule reads --unmapped-only.
func ParseUnmappedRule(s string) (UnmappedRule, error) {
	switch r := UnmappedRule(strings.TrimSpace(s)); r {
	case UnmappedNormal, UnmappedDrop:
		return r, nil
	}
	return "", fmt.Errorf("unmapped-only %q: want normal or drop", s)
}

// NormalRatioAll is the NormalRatio meaning "keep every normal image".
const NormalRatioAll = -1

// FormatNormalRatio writes a normal ratio as flags and configs spell it:
// "all", or a number with at least one decimal ("1.0").
func FormatNormalRatio(v float64) string {
	if v == NormalRatioAll {
		return "all"
	}
	s := strconv.FormatFloat(v, 'f', -1, 64)
	if !strings.ContainsAny(s, ".eE") {
		s += ".0"
	}
	return s
}

// ParseNormalRatio reads a normal ratio as written in flags and configs:
// a non-negative number, or "all" for NormalRatioAll.
func ParseNormalRatio(s string) (float64, error) {
	s = strings.TrimSpace(s)
	if s == "all" {
		return NormalRatioAll, nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("normal ratio %q: want a non-negative number or all", s)
	}
	return v, nil
}

func (o *Options) validate() error {
	var errs []error
	if len(o.VinDr)+len(o.VQA)+len(o.ChestXDet)+len(o.NIHBoxes)+len(o.NIHEntries) == 0 {
		errs = append(errs, errors.New("no input: give --vindr, --vqa, --chestxdet, --nih-bbox or --nih-entries"))
	}
	if o.Out == "" {
		errs = append(errs, errors.New("--out is required"))
	}
	if _, err := boxes.ParseMethod(string(o.Merge)); err != nil {
		errs = append(errs, err)
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"--merge-iou", o.MergeIoU}, {"--cross-iou", o.CrossIoU}, {"--val-fraction", o.ValFraction}, {"--test-fraction", o.TestFraction}} {
		if math.IsNaN(f.v) || f.v < 0 || f.v > 1 {
			errs = append(errs, fmt.Errorf("%s %v: want a number in [0,1]", f.name, f.v))
		}
	}
	if o.ValFraction+o.TestFraction >= 1 {
		errs = append(errs, fmt.Errorf("--val-fraction + --test-fraction = %v leaves no training images", o.ValFraction+o.TestFraction))
	}
	if _, err := ParseUnmappedRule(string(o.UnmappedOnly)); err != nil {
		errs = append(errs, fmt.Errorf("--%w", err))
	}
	if o.MinReaders < 1 {
		errs = append(errs, fmt.Errorf("--min-readers %d: want at least 1", o.MinReaders))
	}
	if o.NormalRatio < 0 && o.NormalRatio != NormalRatioAll || math.IsNaN(o.NormalRatio) {
		errs = append(errs, fmt.Errorf("--normal-ratio %v: want a non-negative number or all", o.NormalRatio))
	}
	if o.DedupImages && o.VinDrImages == "" && o.NIHImages == "" && o.ChestXDetImage == "" {
		errs = append(errs, errors.New("--dedup-images needs image folders (--vindr-images, --nih-images, --chestxdet-images)"))
	}
	if o.DedupDistance < 0 || o.DedupDistance > 16 {
		errs = append(errs, fmt.Errorf("dedup distance %d: want 0..16", o.DedupDistance))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w: %w", cxrkit.ErrInvalidOptions, err)
	}
	return nil
}
