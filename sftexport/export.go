package sftexport

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/configs"
	"github.com/cxrkit/cxrkit/imaging"
	"github.com/cxrkit/cxrkit/labelmap"
	"golang.org/x/sync/errgroup"
)

// Options configure an export.
//
// The yaml keys are those of cxrkit run's export section; the fields
// tagged "-" are the run's own (its corpus, cases and folder) or flags
// only.
type Options struct {
	Corpus    string `yaml:"-"`          // corpus.jsonl (grounding task)
	Cases     string `yaml:"-"`          // synth cases (draft_parse task)
	Out       string `yaml:"-"`          // dataset folder
	Tasks     []Task `yaml:"tasks"`      // default: grounding, plus draft_parse when Cases is set
	Resize    int    `yaml:"resize"`     // fit the long side to this many pixels (0: keep)
	ImageRoot string `yaml:"-"`          // relative image paths are relative to this (default: the corpus folder)
	ShardRows int    `yaml:"shard_rows"` // rows per shard (default 1000)
	// Force writes into an Out folder that holds files export did not
	// write (they are left alone; a README.md is replaced by the card).
	Force bool `yaml:"-"`
	// SkipMissing counts and reports missing or unreadable images instead
	// of failing the run.
	SkipMissing bool `yaml:"skip_missing"`
	Verify      bool `yaml:"verify"`
	// PromptGrounding and PromptDraft override the profile's prompts.
	PromptGrounding string                              `yaml:"-"`
	PromptDraft     string                              `yaml:"-"`
	Workers         int                                 `yaml:"workers"`
	Progress        func(stage string, done, total int) `yaml:"-"`

	// Profile is the model profile the targets are written for (name or
	// file): box scale and order, fencing, prompts, square padding.
	Profile string `yaml:"profile"`
	// Format is the row layout: messages, or prompt-completion for TRL's
	// completion-only loss.
	Format Format `yaml:"format"`
	// Keep16Bit keeps 16-bit images as they are; by default they are
	// windowed down to 8 bits like dicom2png, since PIL's convert("RGB")
	// in training collators clips 16-bit images to white.
	Keep16Bit bool `yaml:"keep_16bit"`
	// MaxPixels refuses images whose header declares more pixels, before
	// decoding.
	MaxPixels int64 `yaml:"max_pixels"`
	// MaxImageMB bounds one image's file and decoding memory, in MiB.
	MaxImageMB int64 `yaml:"max_image_mb"`

	// load replaces loadImage in tests, which count the images loaded.
	load func(ctx context.Context, path string, prep imagePrep) (loadedImage, error)
	// beforeCard, in tests, fails an export after its shards and contract
	// are written and before its card.
	beforeCard func() error
}

func (o Options) imageBudget() imaging.Options { return imaging.Budget(o.MaxPixels, o.MaxImageMB) }

// maxOpenArchives bounds the zip archives export keeps open (NIH
// ChestX-ray14 has twelve).
const maxOpenArchives = 16

// Defaults returns the export defaults: the one place they are written.
func Defaults() Options {
	return Options{ShardRows: 1000, Profile: configs.ProfileCxrkit, Format: FormatMessages, MaxPixels: imaging.Defaults().MaxPixels,
		MaxImageMB: imaging.DefaultMaxImageMB()}
}

// Summary is what an export wrote.
type Summary struct {
	Out         string                        `json:"out"`
	Rows        map[Task]map[cxrkit.Split]int `json:"rows"`   // task → split → rows
	Labels      map[Task]map[string]int       `json:"labels"` // task → label → rows
	Shards      map[Task][]string             `json:"shards"`
	ImageBytes  int64                         `json:"image_bytes"`
	Converted   int                           `json:"images_converted_to_png"`
	Windowed    int                           `json:"images_windowed_to_8bit"`
	Resized     int                           `json:"images_resized"`
	Skipped     []string                      `json:"images_skipped,omitempty"`
	SkipReasons cxrkit.Reasons                `json:"images_skipped_by_reason,omitempty"`
	Prompts     map[string]string             `json:"prompt_sha256"`
	Seconds     float64                       `json:"seconds"`
	MBPerSecond float64                       `json:"image_mb_per_second"`
	Verified    *VerifyReport                 `json:"verify,omitempty"`
	Sources     map[cxrkit.Source]int         `json:"sources"`
	Disclaimer  string                        `json:"disclaimer"`
}

// ErrImages reports missing or unreadable images.
var ErrImages = errors.New("missing or unreadable images")

// errNoImagePath is the reason of a corpus record prepared without an
// image folder.
var errNoImagePath = errors.New("no image_path (prepare with the image folder, e.g. --nih-images)")

// Partial is nil when every image was exported, else an error that is
// cxrkit.ErrPartial and counts the skipped images by reason.
func (s *Summary) Partial() error {
	if len(s.Skipped) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %d images skipped (--skip-missing): %s", cxrkit.ErrPartial, len(s.Skipped), s.SkipReasons)
}

func (o *Options) normalize() error {
	if o.Out == "" {
		return fmt.Errorf("%w: --out is required", cxrkit.ErrInvalidOptions)
	}
	if len(o.Tasks) == 0 {
		if o.Corpus != "" {
			o.Tasks = append(o.Tasks, TaskGrounding)
		}
		if o.Cases != "" {
			o.Tasks = append(o.Tasks, TaskDraftParse)
		}
	}
	for _, t := range o.Tasks {
		switch t {
		case TaskGrounding:
			if o.Corpus == "" {
				return fmt.Errorf("%w: task grounding needs --corpus", cxrkit.ErrInvalidOptions)
			}
		case TaskDraftParse:
			if o.Cases == "" {
				return fmt.Errorf("%w: task draft_parse needs --cases (from cxrkit synth)", cxrkit.ErrInvalidOptions)
			}
		default: // a config's tasks are decoded, not parsed
			_, err := ParseTask(string(t))
			return err
		}
	}
	if len(o.Tasks) == 0 {
		return fmt.Errorf("%w: nothing to export: give --corpus and/or --cases", cxrkit.ErrInvalidOptions)
	}
	d := Defaults()
	if o.ShardRows <= 0 {
		o.ShardRows = d.ShardRows
	}
	if o.Profile == "" {
		o.Profile = d.Profile
	}
	if o.Format == "" {
		o.Format = d.Format
	}
	if _, err := ParseFormat(string(o.Format)); err != nil {
		return err
	}
	if o.Resize < 0 {
		return fmt.Errorf("%w: --resize %d", cxrkit.ErrInvalidOptions, o.Resize)
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	return nil
}

// imagePath resolves a corpus image path: relative to ImageRoot when
// given, else to the corpus file's folder.
func (o *Options) imagePath(p string) string {
	root := o.ImageRoot
	if root == "" {
		root = filepath.Dir(o.Corpus)
	}
	return cxrkit.ResolvePath(root, p)
}

// Export writes the dataset folder: shards per task and split, then the
// dataset card. Shards appear under their final names only when every
// shard of the export is complete.
func Export(ctx context.Context, o Options) (*Summary, error) {
	if err := o.normalize(); err != nil {
		return nil, err
	}
	start := time.Now()
	profile, err := configs.LoadProfile(o.Profile)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", cxrkit.ErrInvalidOptions, err)
	}
	s := &Summary{Out: o.Out, Rows: map[Task]map[cxrkit.Split]int{}, Labels: map[Task]map[string]int{},
		Shards: map[Task][]string{}, Prompts: map[string]string{}, Sources: map[cxrkit.Source]int{}, Disclaimer: cxrkit.Disclaimer,
		SkipReasons: cxrkit.Reasons{}}
	meta, err := hfMetadata(o.Format)
	if err != nil {
		return nil, err
	}
	ex := &exporter{o: &o, s: s, profile: &profile, prompts: map[string]configs.Prompt{}}
	// The lock comes before anything reads or cleans Out: a second export
	// would otherwise remove the first one's staging folder as a leftover.
	release, err := cxrkit.LockOutput(o.Out)
	if err != nil {
		return nil, err
	}
	defer release()
	foreign := checkOwned(o.Out)
	if foreign != nil && !o.Force {
		return nil, foreign
	}
	if err := removeLeftovers(o.Out); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return nil, err
	}
	// An Out holding only an earlier export is replaced whole: the new
	// export (shards, contract, prompts, card) is built in a hidden folder
	// beside it and exchanged with it in one rename. With --force over
	// foreign files, which must stay, task folders are swapped one by one.
	whole := foreign == nil && wholeSwapPossible(o.Out)
	stageIn, prefix := o.Out, stagePrefix+"new-"
	if whole {
		stageIn, prefix = filepath.Dir(o.Out), siblingPrefix(o.Out)+"new-"
	}
	stage, err := os.MkdirTemp(stageIn, prefix)
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(stage)
	sets := map[Task]map[cxrkit.Split]*shardSet{}
	setFor := func(task Task, split cxrkit.Split) *shardSet {
		split = splitOrTrain(split)
		if sets[task] == nil {
			sets[task] = map[cxrkit.Split]*shardSet{}
		}
		if sets[task][split] == nil {
			sets[task][split] = newShardSet(filepath.Join(stage, string(task)), string(split), o.ShardRows, meta, o.Format)
		}
		return sets[task][split]
	}
	abort := func() {
		for _, m := range sets {
			for _, ss := range m {
				ss.abort()
			}
		}
	}
	for _, task := range o.Tasks {
		var err error
		switch task {
		case TaskGrounding:
			err = ex.grounding(ctx, setFor)
		case TaskDraftParse:
			err = ex.drafts(ctx, setFor)
		}
		if err != nil {
			abort()
			return s, err
		}
	}
	for task, m := range sets {
		for _, split := range sortedSplits(m) {
			names, err := m[split].commit()
			if err != nil {
				abort()
				return s, err
			}
			for _, n := range names {
				s.Shards[task] = append(s.Shards[task], filepath.Join(o.Out, string(task), filepath.Base(n)))
			}
		}
	}
	// Prompts of tasks not exported are copied too, so a contract gives
	// audit every prompt of the profile it names.
	for task, override := range map[string]string{configs.PromptGrounding: o.PromptGrounding, configs.PromptDraftParse: o.PromptDraft} {
		if _, ok := ex.prompts[task]; !ok {
			pr, err := profile.LoadPrompt(task, override)
			if err != nil {
				return s, err
			}
			ex.prompts[task] = pr
		}
	}
	dir := stage // whole: everything is written into the staging folder
	if !whole {
		if err := swapIn(stage, o.Out, o.Tasks); err != nil {
			return s, err
		}
		dir = o.Out
	}
	s.Seconds = time.Since(start).Seconds()
	if s.Seconds > 0 {
		s.MBPerSecond = float64(s.ImageBytes) / 1e6 / s.Seconds
	}
	contract := ex.contract()
	if err := writeContract(dir, contract, ex.prompts); err != nil {
		return s, err
	}
	if o.beforeCard != nil {
		if err := o.beforeCard(); err != nil {
			return s, err
		}
	}
	if err := writeCard(dir, s, contract); err != nil {
		return s, err
	}
	if whole {
		// The one step that replaces the earlier export; the deferred
		// RemoveAll then deletes it from the staging name.
		if err := exchangeDirs(stage, o.Out); err != nil {
			return s, fmt.Errorf("swap in %s: %w", o.Out, err)
		}
	}
	if o.Verify {
		v, err := Verify(ctx, o.Out, o.Progress)
		s.Verified = v
		if err != nil {
			return s, err
		}
	}
	return s, nil
}

// splitOrTrain puts records and cases without a split into train.
func splitOrTrain(s cxrkit.Split) cxrkit.Split {
	if s == "" {
		return cxrkit.SplitTrain
	}
	return s
}

func sortedSplits[V any](m map[cxrkit.Split]V) []cxrkit.Split {
	order := cxrkit.Splits()
	var out []cxrkit.Split
	for k := range m {
		out = append(out, k)
	}
	slices.SortFunc(out, func(a, b cxrkit.Split) int {
		ia, ib := slices.Index(order, a), slices.Index(order, b)
		if ia < 0 {
			ia = len(order)
		}
		if ib < 0 {
			ib = len(order)
		}
		if ia != ib {
			return ia - ib
		}
		return strings.Compare(string(a), string(b))
	})
	return out
}

func count[T, K comparable](m map[T]map[K]int, a T, b K) {
	if m[a] == nil {
		m[a] = map[K]int{}
	}
	m[a][b]++
}

// exportGrounding checks every image first (so a broken corpus fails in
// seconds, with the full list), then streams records through a pool of
// image workers, writing rows in corpus order.
func (ex *exporter) grounding(ctx context.Context, setFor func(Task, cxrkit.Split) *shardSet) error {
	o, s := ex.o, ex.s
	prompt, err := ex.profile.LoadPrompt(configs.PromptGrounding, o.PromptGrounding)
	if err != nil {
		return err
	}
	s.Prompts[configs.PromptGrounding] = prompt.SHA256
	ex.prompts[configs.PromptGrounding] = prompt
	records, err := cxrkit.LoadJSONL[cxrkit.Record](o.Corpus)
	if err != nil {
		return err
	}
	// Images inside zip archives (NIH's images_NNN.zip) are read with
	// their archive kept open: reopening it reads its whole directory.
	budget := o.imageBudget()
	budget.Archives = imaging.NewArchiveCache(maxOpenArchives)
	defer budget.Archives.Close()
	skip := map[int]bool{}
	var problems []string
	reasons := cxrkit.Reasons{}
	for i, r := range records {
		p := o.imagePath(r.ImagePath)
		var err error
		if r.ImagePath == "" {
			err = errNoImagePath
		} else {
			err = checkImage(p, budget)
		}
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", r.Key(), err))
			reasons.Add(cxrkit.ErrorReason(err))
			skip[i] = true
		}
	}
	if len(problems) > 0 && !o.SkipMissing {
		// A bounded message: the reasons with counts and a few examples,
		// never one line per image.
		return fmt.Errorf("%w: %d of %d images: %s; e.g. %s; use --skip-missing to export the rest",
			ErrImages, len(problems), len(records), reasons, strings.Join(problems[:min(3, len(problems))], "; "))
	}
	s.Skipped = append(s.Skipped, problems...)
	for k, n := range reasons {
		s.SkipReasons[k] += n
	}

	type result struct {
		i   int
		row Row
		img loadedImage
		err error
	}
	load := loadImage
	if o.load != nil {
		load = o.load
	}
	// One group: the feeder, the image workers and the writer. The first
	// fatal error (an unreadable image without --skip-missing, a failed
	// write) cancels gctx, and every other goroutine stops at its next
	// step instead of loading the rest of the images for nothing. An
	// unreadable image is fatal when the writer reaches its row, so the
	// error reported is the earliest row's whichever worker failed first;
	// failed holds the earliest row failed so far, after which nothing is
	// fed or loaded.
	g, gctx := errgroup.WithContext(ctx)
	var failed atomic.Int64
	failed.Store(math.MaxInt64)
	jobs := make(chan int)
	results := make(chan result, 2*o.Workers)
	// Feed at most a window of rows ahead of the writer, so memory holds a
	// bounded number of images whatever the corpus size.
	window := make(chan struct{}, 4*o.Workers)
	g.Go(func() error {
		defer close(jobs)
		for i := range records {
			if skip[i] {
				continue
			}
			if int64(i) > failed.Load() {
				return nil
			}
			select {
			case window <- struct{}{}:
			case <-gctx.Done():
				return nil
			}
			select {
			case jobs <- i:
			case <-gctx.Done():
				return nil
			}
		}
		return nil
	})
	var workers sync.WaitGroup
	for range o.Workers {
		workers.Add(1)
		g.Go(func() error {
			defer workers.Done()
			for i := range jobs {
				if gctx.Err() != nil {
					return nil
				}
				if int64(i) > failed.Load() {
					continue // an earlier row failed: the writer stops there
				}
				r := &records[i]
				img, err := load(gctx, o.imagePath(r.ImagePath), imagePrep{resize: o.Resize, keep16: o.Keep16Bit, square: ex.profile.PadToSquare, budget: budget})
				if gctx.Err() != nil {
					return nil // stopped: the cause is reported by whoever stopped it
				}
				if err != nil && !o.SkipMissing {
					lower(&failed, int64(i))
				}
				res := result{i: i, img: img, err: err}
				if err == nil {
					res.row = Row{
						Images:   []imageCell{{Bytes: img.data, Path: str(img.name)}},
						Messages: messages(prompt.Text, groundingTarget(squared(r.Findings, img), ex.profile), true),
						Task:     str(string(TaskGrounding)), ImageID: str(r.ImageID), Source: str(string(r.Source)),
					}
				}
				select {
				case results <- res:
				case <-gctx.Done():
					return nil
				}
			}
			return nil
		})
	}
	go func() { workers.Wait(); close(results) }()
	g.Go(func() error {
		pending := map[int]result{}
		next := 0
		total := len(records) - len(skip)
		written := 0
		for res := range results {
			pending[res.i] = res
			for {
				for next < len(records) && skip[next] {
					next++
				}
				r, ok := pending[next]
				if !ok {
					break
				}
				delete(pending, next)
				next++
				<-window
				if r.err != nil && !o.SkipMissing {
					return fmt.Errorf("%w: %v", ErrImages, r.err)
				}
				if r.err != nil {
					s.Skipped = append(s.Skipped, r.err.Error())
					s.SkipReasons.Add(cxrkit.ErrorReason(r.err))
					continue
				}
				rec := &records[r.i]
				if err := setFor(TaskGrounding, rec.Split).write(r.row, len(r.img.data)); err != nil {
					return err
				}
				count(s.Rows, TaskGrounding, splitOrTrain(rec.Split))
				labels := cxrkit.PositiveLabels(rec.Findings)
				if len(labels) == 0 {
					labels = []labelmap.Label{labelmap.NoFinding}
				}
				for _, l := range labels {
					count(s.Labels, TaskGrounding, string(l))
				}
				s.Sources[rec.Source]++
				s.ImageBytes += int64(len(r.img.data))
				if r.img.converted {
					s.Converted++
				}
				if r.img.resized {
					s.Resized++
				}
				if r.img.windowed {
					s.Windowed++
				}
				written++
				if o.Progress != nil {
					o.Progress("exporting grounding", written, total)
				}
			}
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return err
	}
	return ctx.Err()
}

// lower sets v to x when x is smaller.
func lower(v *atomic.Int64, x int64) {
	for f := v.Load(); x < f; f = v.Load() {
		if v.CompareAndSwap(f, x) {
			return
		}
	}
}

func (ex *exporter) drafts(ctx context.Context, setFor func(Task, cxrkit.Split) *shardSet) error {
	o, s := ex.o, ex.s
	prompt, err := ex.profile.LoadPrompt(configs.PromptDraftParse, o.PromptDraft)
	if err != nil {
		return err
	}
	ex.prompts[configs.PromptDraftParse] = prompt
	if !strings.Contains(prompt.Text, configs.DraftPlaceholder) {
		return fmt.Errorf("%w: draft prompt %s has no %s placeholder", cxrkit.ErrInvalidOptions, prompt.Source, configs.DraftPlaceholder)
	}
	s.Prompts[configs.PromptDraftParse] = prompt.SHA256
	return cxrkit.ReadJSONLFile(o.Cases, func(line int, c *cxrkit.Case) error {
		if line%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if c.DraftText == "" || c.CaseID == "" {
			return errors.New("case without case_id or draft_text")
		}
		row := Row{Images: []imageCell{}, Messages: messages(draftPrompt(prompt, c.DraftText), draftTarget(c.DraftFindings), false),
			Task: str(string(TaskDraftParse)), ImageID: str(c.ImageID), Source: str(string(c.Source))}
		if err := setFor(TaskDraftParse, c.Split).write(row, 0); err != nil {
			return err
		}
		count(s.Rows, TaskDraftParse, splitOrTrain(c.Split))
		for _, d := range c.DraftFindings {
			count(s.Labels, TaskDraftParse, string(d.Label)+"/"+string(d.Status))
		}
		return nil
	})
}

// exporter carries one export's settings and what it has used so far.
type exporter struct {
	o       *Options
	s       *Summary
	profile *configs.Profile
	prompts map[string]configs.Prompt
}

// contract describes the export just written.
func (ex *exporter) contract() *Contract {
	p := ex.profile
	c := &Contract{Version: ContractVersion, CxrkitVersion: cxrkit.Version, Profile: *p, ProfileSHA256: p.SHA256,
		Format: ex.o.Format, Tasks: map[string]ContractTask{}, Disclaimer: cxrkit.Disclaimer,
		Box: ContractBox{Field: "box_2d", Order: p.BoxOrder, Scale: p.BoxScale, Decimals: boxDecimals},
		Images: ContractImages{MaxSide: ex.o.Resize, PadToSquare: p.PadToSquare, Encoding: "png", BitDepth: 8,
			Mode: "L for grey sources, RGB for colour ones (convert(\"RGB\") in the collator is safe)"}}
	if p.BoxScale == configs.BoxScale1000 {
		c.Box.Decimals = 0
	}
	if ex.o.Keep16Bit {
		c.Images.BitDepth = 0
		c.Images.Mode = "as stored: 16-bit grey stays I;16 (convert(\"RGB\") clips it to white)"
	}
	target := TargetJSONArray
	if p.AnswerFence {
		target = TargetFencedJSONList
	}
	for _, task := range ex.o.Tasks {
		t := ContractTask{TargetFormat: target}
		if task == TaskGrounding {
			t.TargetSchema = cxrkit.GroundingTargetSchema(p.BoxScaleMax())
		} else {
			t.TargetFormat = TargetJSONArray
		}
		c.Tasks[string(task)] = t
	}
	return c
}

// squared maps findings' boxes to the padded square an image was exported
// as (unchanged when it was not padded).
func squared(fs []cxrkit.Finding, img loadedImage) []cxrkit.Finding {
	if img.side == 0 {
		return fs
	}
	out := make([]cxrkit.Finding, len(fs))
	for i, f := range fs {
		out[i] = f
		if f.Box != nil {
			b := img.toSquare(*f.Box)
			out[i].Box = &b
		}
	}
	return out
}
