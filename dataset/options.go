package dataset

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/boxes"
	"github.com/cxrkit/cxrkit/imaging"
	"github.com/cxrkit/cxrkit/labelmap"
	"gopkg.in/yaml.v3"
)

// Options are the inputs and rules of one prepare run. The zero value is
// not runnable (it has no inputs and no output); Defaults fills the rules.
type Options struct {
	// Inputs. The yaml keys are the config file's (cxrkit run's prepare
	// section) and the flags' names with "_".
	VinDr          []string `yaml:"vindr"`            // VinDr-CXR annotation CSVs (Kaggle or PhysioNet)
	VinDrMeta      []string `yaml:"vindr_meta"`       // image-size CSVs
	VinDrImages    string   `yaml:"vindr_images"`     // image folder (PNG, JPEG, DICOM)
	VQA            []string `yaml:"vqa"`              // VinDr-CXR-VQA data_v1.json files
	ChestXDet      []string `yaml:"chestxdet"`        // ChestX-Det JSON files or parquet mirror files
	ChestXDetImage string   `yaml:"chestxdet_images"` // ChestX-Det image folder
	NIHBoxes       []string `yaml:"nih_bbox"`         // BBox_List_2017.csv
	NIHEntries     []string `yaml:"nih_entries"`      // Data_Entry_2017.csv or sample_labels.csv
	NIHImages      string   `yaml:"nih_images"`

	// Labelmap is the label map file the caller reads Vocab from ("" for
	// the embedded one); Prepare uses Vocab.
	Labelmap string               `yaml:"labelmap"`
	Vocab    *labelmap.Vocabulary `yaml:"-"`

	Merge      boxes.Method `yaml:"merge"`
	MergeIoU   float64      `yaml:"merge_iou"`
	MinReaders int          `yaml:"min_readers"`
	CrossIoU   float64      `yaml:"cross_iou"`

	DedupImages   bool `yaml:"dedup_images"`
	DedupDistance int  `yaml:"dedup_distance"` // max Hamming distance of perceptual hashes

	// MaxPixels refuses images whose header declares more pixels, before
	// decoding (sizes probed, images hashed).
	MaxPixels int64 `yaml:"max_pixels"`
	// MaxImageMB bounds one image's file and decoding memory, in MiB.
	MaxImageMB int64 `yaml:"max_image_mb"`

	// NormalRatio is the number of normal images kept per positive image;
	// NormalRatioAll keeps every normal image (--normal-ratio all).
	NormalRatio  NormalRatio `yaml:"normal_ratio"`
	ValFraction  float64     `yaml:"val_fraction"`
	TestFraction float64     `yaml:"test_fraction"`
	Seed         int64       `yaml:"seed"`
	// HoldoutSource is the file of image ids forced into the test split;
	// the caller reads it into HoldoutIDs (ReadIDList), and the report
	// names it.
	HoldoutSource string   `yaml:"holdout_list"`
	HoldoutIDs    []string `yaml:"-"`

	// UnmappedOnly decides an exhaustively read image whose only labels
	// lie outside the six-label space: UnmappedNormal writes it as
	// no_finding, UnmappedDrop leaves it out.
	UnmappedOnly UnmappedRule `yaml:"unmapped_only"`

	Strict bool   `yaml:"strict"`
	Out    string `yaml:"-"`

	// Flags records the command line (or config) for the report.
	Flags map[string]any `yaml:"-"`
	// Command is the command line, recorded in the report's provenance.
	Command []string `yaml:"-"`
	// Progress, when set, is called as images are processed.
	Progress func(stage string, done, total int) `yaml:"-"`
}

// Defaults returns the SPEC defaults.
func Defaults() Options {
	return Options{UnmappedOnly: UnmappedNormal, Merge: boxes.WBF, MergeIoU: 0.5, MinReaders: 1, CrossIoU: 0.6,
		DedupDistance: 4, NormalRatio: 1, ValFraction: 0.1, MaxPixels: imaging.Defaults().MaxPixels,
		MaxImageMB: imaging.DefaultMaxImageMB()}
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

// NormalRatio is the number of normal images kept per positive image,
// or NormalRatioAll. Flags and configs write it as FormatNormalRatio does.
type NormalRatio float64

// NormalRatioAll is the NormalRatio meaning "keep every normal image".
const NormalRatioAll NormalRatio = -1

// FormatNormalRatio writes a normal ratio as flags and configs spell it:
// "all", or a number with at least one decimal ("1.0").
func FormatNormalRatio(v NormalRatio) string {
	if v == NormalRatioAll {
		return "all"
	}
	s := strconv.FormatFloat(float64(v), 'f', -1, 64)
	if !strings.ContainsAny(s, ".eE") {
		s += ".0"
	}
	return s
}

// ParseNormalRatio reads a normal ratio as written in flags and configs:
// a non-negative number, or "all" for NormalRatioAll.
func ParseNormalRatio(s string) (NormalRatio, error) {
	s = strings.TrimSpace(s)
	if s == "all" {
		return NormalRatioAll, nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("normal ratio %q: want a non-negative number or all", s)
	}
	return NormalRatio(v), nil
}

// UnmarshalYAML reads a config's normal_ratio: all, a number, or a
// number in quotes ("1.0").
func (r *NormalRatio) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return errors.New("normal ratio: want a non-negative number or all")
	}
	v, err := ParseNormalRatio(n.Value)
	if err != nil {
		return err
	}
	*r = v
	return nil
}

// MarshalYAML writes the ratio as a config spells it.
func (r NormalRatio) MarshalYAML() (any, error) { return FormatNormalRatio(r), nil }

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
	if o.NormalRatio < 0 && o.NormalRatio != NormalRatioAll || math.IsNaN(float64(o.NormalRatio)) {
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
