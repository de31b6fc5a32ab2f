package dataset

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/imaging"
	"github.com/cxrkit/cxrkit/labelmap"
)

// Output file names inside --out.
const (
	CorpusFile  = "corpus.jsonl"
	ReportFile  = "report.json"
	RejectsFile = "rejects.jsonl"
)

// ErrStrict is returned (wrapped) when --strict meets a rejected row.
var ErrStrict = errors.New("rows were rejected and --strict is set")

type preparer struct {
	ctx     context.Context
	opts    Options
	vocab   *labelmap.Vocabulary
	rejects *rejectSink
	images  *images
	inputs  map[string]*SourceStats

	// unkept lists the files from which no row was kept.
	unkept []FileWithoutKeptRows
	// prov records every input file with its sha256 and rows read.
	prov *cxrkit.Provenance

	// lookups remembers label-map answers by (label source, native).
	lookups map[[2]string]labelLookup

	// scratch is assemble's reusable state.
	scratch assembleScratch

	vindrDir     *imageDir
	nihDir       *imageDir
	chestXDetDir *imageDir
}

func (p *preparer) stats(input, file string) *SourceStats {
	s := p.inputs[input]
	if s == nil {
		s = newSourceStats()
		p.inputs[input] = s
	}
	s.Files = append(s.Files, file)
	return s
}

// Prepare runs the whole prepare stage and writes corpus.jsonl,
// report.json and rejects.jsonl into opts.Out, each atomically.
func Prepare(ctx context.Context, opts Options) (*Report, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	if opts.Vocab == nil {
		v, err := labelmap.Default()
		if err != nil {
			return nil, err
		}
		opts.Vocab = v
	}
	p := &preparer{ctx: ctx, opts: opts, vocab: opts.Vocab, images: newImages(),
		inputs: map[string]*SourceStats{}, prov: cxrkit.NewProvenance(opts.Command, opts.Seed)}
	rejectsFile, err := cxrkit.CreateAtomic(filepath.Join(opts.Out, RejectsFile))
	if err != nil {
		return nil, err
	}
	defer rejectsFile.Abort()
	p.rejects = newRejectSink(rejectsFile)
	defer func() {
		for _, d := range []*imageDir{p.vindrDir, p.nihDir, p.chestXDetDir} {
			d.close()
		}
	}()

	if err := p.readAll(); err != nil {
		return nil, err
	}
	corpus, rep, err := p.build()
	if err != nil {
		return nil, err
	}
	for _, d := range []*imageDir{p.vindrDir, p.nihDir, p.chestXDetDir} {
		if d == nil {
			continue
		}
		for path, why := range d.damaged {
			if rep.DamagedArchives == nil {
				rep.DamagedArchives = map[string]string{}
			}
			rep.DamagedArchives[path] = why
		}
	}
	rep.Outputs = map[string]string{
		"corpus":  filepath.Join(opts.Out, CorpusFile),
		"report":  filepath.Join(opts.Out, ReportFile),
		"rejects": filepath.Join(opts.Out, RejectsFile),
	}
	if err := rejectsFile.Commit(); err != nil {
		return nil, err
	}
	if opts.Strict && rep.RowsRejected > 0 {
		// A strict failure must not leave a corpus that looks like this
		// run's result.
		os.Remove(rep.Outputs["corpus"])
		delete(rep.Outputs, "corpus")
		if err := writeJSONFile(rep.Outputs["report"], rep); err != nil {
			delete(rep.Outputs, "report")
			return rep, err
		}
		return rep, fmt.Errorf("%w: %d rejected (see %s)", ErrStrict, rep.RowsRejected, rep.Outputs["rejects"])
	}
	// Outputs lists only files that exist when Prepare returns, so no
	// caller prints the path of a file a failed write never made.
	if err := writeCorpus(rep.Outputs["corpus"], corpus, &p.images.others); err != nil {
		delete(rep.Outputs, "corpus")
		delete(rep.Outputs, "report")
		return rep, err
	}
	if err := writeJSONFile(rep.Outputs["report"], rep); err != nil {
		delete(rep.Outputs, "report")
		return rep, err
	}
	return rep, nil
}

func (p *preparer) readAll() error {
	var err error
	// A size file makes the accumulators of the VinDr images it names, so
	// an image's size is on its accumulator and the ids are kept once.
	for i, m := range p.opts.VinDrMeta {
		if st, err := os.Stat(m); err == nil && i == 0 {
			// Sized for the file's rows (about 45 bytes each in VinDr's),
			// so the map is not rebuilt as it grows.
			p.images.expect(cxrkit.SourceVinDr, int(min(st.Size()/metaRowBytes, maxMetaHint)))
		}
		added := 0
		digest := &inputDigest{path: m} // the provenance's sha256, taken as the file is read
		err := readMeta(withInputDigest(p.ctx, digest), m, func(id []byte, s Size) {
			if p.images.putMeta(cxrkit.SourceVinDr, id, s) {
				added++
			}
		})
		if err != nil {
			return err
		}
		if err := p.addInput("vindr_meta", m, added, digest); err != nil {
			return err
		}
	}
	for _, d := range []struct {
		dir  string
		into **imageDir
	}{{p.opts.VinDrImages, &p.vindrDir}, {p.opts.NIHImages, &p.nihDir}, {p.opts.ChestXDetImage, &p.chestXDetDir}} {
		if d.dir == "" {
			continue
		}
		if *d.into, err = indexImageDir(d.dir, imaging.Budget(p.opts.MaxPixels, p.opts.MaxImageMB)); err != nil {
			return fmt.Errorf("images %s: %w", d.dir, err)
		}
	}
	cxdSize := pngSize(p.chestXDetDir, chestXDetSize)
	steps := []struct {
		files []string
		src   source
	}{
		{p.opts.VinDr, vindrAnnotations{size: p.vindrBoxSize}},
		{p.opts.VQA, vqaPairs{size: p.vindrSize}},
		{p.opts.ChestXDet, chestXDet{size: cxdSize}},
		{p.opts.NIHBoxes, nihBoxList{size: pngSize(p.nihDir, nihPNGSize)}},
		{p.opts.NIHEntries, nihDataEntry{}},
	}
	for _, s := range steps {
		for _, f := range s.files {
			if err := p.readFile(s.src, f); err != nil {
				return err
			}
		}
	}
	return nil
}

// metaRowBytes is about the shortest VinDr size row (image_id,dim0,dim1),
// and maxMetaHint bounds the map a size file's length pre-sizes.
const (
	metaRowBytes = 40
	maxMetaHint  = 1 << 17
)

// maxOpenArchives bounds the zip archives --dedup-images keeps open
// while hashing (NIH ChestX-ray14 has twelve).
const maxOpenArchives = 16

// builtImage is one image of the corpus as build decides it: its
// accumulator and what build adds. Its corpus record is made only as the
// line is written (corpusRecord): a Record for each of tens of thousands
// of images was the largest allocation of build.
type builtImage struct {
	acc           *imageAcc
	findings      []cxrkit.Finding
	imagePath     string
	width, height int
	split         splitNum
}

// key is the image's corpus key, "source:image_id".
func (b *builtImage) key() string { return cxrkit.ImageKey(b.acc.source, b.acc.id) }

// corpusRecord fills rec with b's corpus record, its other labels (names
// numbers them) in others' memory (reused from line to line).
func (b *builtImage) corpusRecord(rec *cxrkit.Record, names *otherNatives, others []string) {
	a := b.acc
	*rec = cxrkit.Record{ImageID: a.id, Source: a.source, PatientID: a.patient(), Split: b.split.split(),
		Width: b.width, Height: b.height, ImagePath: b.imagePath, Findings: b.findings,
		OtherLabels: a.otherLabels(names, others)}
}

// build turns the accumulated images into sorted, balanced, split corpus
// images.
func (p *preparer) build() ([]builtImage, *Report, error) {
	rep := &Report{Tool: "cxrkit prepare", Version: cxrkit.VersionString(), Disclaimer: cxrkit.Disclaimer,
		Flags: p.opts.Flags, Inputs: p.inputs, Sources: map[cxrkit.Source]*SourceImages{}, Duplicates: []Duplicate{},
		Splits: map[cxrkit.Split]*SplitCount{}, Labels: map[string]int{}, Identities: map[string]bool{},
		FilesWithoutKeptRows: p.unkept, Provenance: p.prov}
	for name, s := range p.inputs {
		rep.RowsRejected += s.RowsRejected
		rep.Identities[name] = s.Balanced()
	}
	accs := p.images.sorted()
	images := make([]builtImage, 0, len(accs))
	for i, a := range accs {
		if i%4096 == 0 {
			if err := p.ctx.Err(); err != nil {
				return nil, nil, err
			}
		}
		si := rep.source(a.source)
		si.ImagesRead++
		findings, left := p.assemble(a, &si.boxCounts)
		if left != "" {
			si.LeftOut[left]++
			if left == leftAmbiguous {
				si.Ambiguous++
			}
			continue
		}
		images = append(images, builtImage{acc: a, findings: findings})
		p.placeImage(&images[len(images)-1], si)
	}
	dups, err := p.dedup(images, rep)
	if err != nil {
		return nil, nil, err
	}
	keys := recordKeys(images)
	images, keys, dups = p.balance(images, keys, dups, rep)
	p.split(images, keys, dups, rep)
	for i := range images {
		b := &images[i]
		rep.source(b.acc.source).ImagesWritten++
		sc := rep.Splits[b.split.split()]
		if sc == nil {
			sc = &SplitCount{Labels: map[string]int{}}
			rep.Splits[b.split.split()] = sc
		}
		sc.Images++
		for _, l := range labelSetOf(b.findings) {
			sc.Labels[string(l)]++
			rep.Labels[string(l)]++
		}
	}
	rep.Images = len(images)
	return images, rep, nil
}

func (r *Report) source(name cxrkit.Source) *SourceImages {
	s := r.Sources[name]
	if s == nil {
		s = &SourceImages{LeftOut: map[string]int{}}
		r.Sources[name] = s
	}
	return s
}

// placeImage sets the image's size and path.
func (p *preparer) placeImage(b *builtImage, si *SourceImages) {
	a := b.acc
	var dir *imageDir
	var def Size
	switch a.source {
	case cxrkit.SourceVinDr:
		dir = p.vindrDir
		def, _ = p.vindrImageSize(a, a.id, Size{})
	case cxrkit.SourceNIH:
		dir, def = p.nihDir, Size{Width: nihPNGSize, Height: nihPNGSize}
	case cxrkit.SourceChestXDet:
		dir, def = p.chestXDetDir, Size{Width: chestXDetSize, Height: chestXDetSize}
	}
	if w, h := a.rowSize(); w > 0 && h > 0 {
		def = Size{Width: w, Height: h}
	}
	b.width, b.height = def.Width, def.Height
	if dir == nil {
		return
	}
	path, ok := dir.path(a.id)
	if !ok {
		si.MissingImageFiles++
		return
	}
	b.imagePath = cxrkit.RelativePath(p.opts.Out, path)
	s, _, err := dir.size(a.id)
	if err != nil {
		si.SizeUnreadable++
	} else {
		if def.Width > 0 && s != def {
			si.SizeMismatch++
		}
		if a.source != cxrkit.SourceVinDr || def.Width == 0 {
			b.width, b.height = s.Width, s.Height
		}
	}
}

// labelSet is the image's positive labels in canonical order, or
// no_finding: a fixed-size set, so the common loop over it allocates
// nothing.
type labelSet struct {
	labels [labelmap.NumLabels]labelmap.Label
	n      int
}

func labelSetOf(fs []cxrkit.Finding) []labelmap.Label {
	s := newLabelSet(fs)
	return s.labels[:s.n]
}

func newLabelSet(fs []cxrkit.Finding) labelSet {
	var seen [labelmap.NumLabels]bool
	for _, f := range fs {
		if f.Label.Positive() {
			seen[f.Label.Index()] = true
		}
	}
	var s labelSet
	for _, l := range labelmap.Positives() {
		if seen[l.Index()] {
			s.labels[s.n] = l
			s.n++
		}
	}
	if s.n == 0 {
		s.labels[0], s.n = labelmap.NoFinding, 1
	}
	return s
}

// hasPositive reports whether findings hold a positive label.
func hasPositive(fs []cxrkit.Finding) bool {
	for _, f := range fs {
		if f.Label.Positive() {
			return true
		}
	}
	return false
}

// join is the set's labels joined by "+".
func (s labelSet) join() string {
	if s.n == 1 {
		return string(s.labels[0])
	}
	parts := make([]string, s.n)
	for i, l := range s.labels[:s.n] {
		parts[i] = string(l)
	}
	return strings.Join(parts, "+")
}

// strataCache remembers the stratum of each label set: an image's labels
// are one of few sets, and a stratum of several labels is a new string.
type strataCache struct {
	byMask map[uint32]string
}

// of is the stratum of an image with findings fs: its label set, labels
// joined by "+" in canonical order.
func (c *strataCache) of(fs []cxrkit.Finding) string {
	s := newLabelSet(fs)
	if s.n == 1 {
		return string(s.labels[0])
	}
	var mask uint32
	for _, l := range s.labels[:s.n] {
		mask |= 1 << l.Index()
	}
	if st, ok := c.byMask[mask]; ok {
		return st
	}
	if c.byMask == nil {
		c.byMask = map[uint32]string{}
	}
	st := s.join()
	c.byMask[mask] = st
	return st
}

func (p *preparer) dedup(images []builtImage, rep *Report) ([][2]int, error) {
	if !p.opts.DedupImages {
		return nil, nil
	}
	paths := make([]string, len(images))
	sources := make([]cxrkit.Source, len(images))
	for i, b := range images {
		paths[i], sources[i] = cxrkit.ResolvePath(p.opts.Out, b.imagePath), b.acc.source
	}
	var progress func(int, int)
	if p.opts.Progress != nil {
		progress = func(d, t int) { p.opts.Progress("hashing images", d, t) }
	}
	budget := imaging.Budget(p.opts.MaxPixels, p.opts.MaxImageMB)
	budget.Archives = imaging.NewArchiveCache(maxOpenArchives)
	defer budget.Archives.Close()
	fps, failed := fingerprintAll(p.ctx, budget, paths, sources, progress)
	if err := p.ctx.Err(); err != nil {
		return nil, err
	}
	if len(failed) > 0 {
		rep.Undecodable = map[string]string{}
		for i, err := range failed {
			rep.Undecodable[images[i].key()] = err.Error()
		}
	}
	slices.SortFunc(fps, func(a, b fingerprinted) int { return cmp.Compare(a.index, b.index) })
	pairs := findDuplicates(fps, p.opts.DedupDistance)
	byIndex := map[int]fingerprinted{}
	for _, f := range fps {
		byIndex[f.index] = f
	}
	slices.SortFunc(pairs, func(a, b [2]int) int { return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1])) })
	for _, pr := range pairs {
		fa, fb := byIndex[pr[0]], byIndex[pr[1]]
		rep.Duplicates = append(rep.Duplicates, Duplicate{A: images[pr[0]].key(), B: images[pr[1]].key(),
			Distance: fa.fp.Hash.Distance(fb.fp.Hash), Correlation: roundTo(fa.fp.Correlation(fb.fp), 4)})
	}
	return pairs, nil
}

// balance keeps every positive image and a deterministic sample of normal
// ones; holdout images are always kept. Duplicate pairs are re-indexed.
// keys[i] is images[i].key(); the kept keys are returned with the kept
// images, both compacted in place.
func (p *preparer) balance(images []builtImage, keys []string, dups [][2]int, rep *Report) ([]builtImage, []string, [][2]int) {
	holdout := p.holdoutSet()
	// normal[i] marks the normal images the sample is drawn from.
	normal := make([]bool, len(images))
	positives, normals := 0, 0
	for i := range images {
		if hasPositive(images[i].findings) {
			positives++
		} else if !holdout[images[i].acc.id] {
			normal[i] = true
			normals++
		}
	}
	normalKeys := make([]string, 0, normals)
	for i, n := range normal {
		if n {
			normalKeys = append(normalKeys, keys[i])
		}
	}
	keepNormal := sampleNormals(normalKeys, positives, p.opts.NormalRatio, p.opts.Seed)
	// normal[i] becomes "drop i".
	k := 0
	for i, n := range normal {
		if n {
			normal[i] = !keepNormal[k]
			k++
			if normal[i] {
				rep.source(images[i].acc.source).LeftOut[leftBalance]++
			}
		}
	}
	var newIndex []int
	if len(dups) > 0 {
		newIndex = make([]int, len(images))
	}
	out, outKeys := images[:0], keys[:0]
	for i := range images {
		if newIndex != nil {
			newIndex[i] = -1
		}
		if !normal[i] {
			if newIndex != nil {
				newIndex[i] = len(out)
			}
			out = append(out, images[i])
			outKeys = append(outKeys, keys[i])
		}
	}
	var kept [][2]int
	for _, d := range dups {
		if a, b := newIndex[d[0]], newIndex[d[1]]; a >= 0 && b >= 0 {
			kept = append(kept, [2]int{a, b})
		}
	}
	return out, outKeys, kept
}

// recordKeys returns each image's key, the keys cut from one string.
func recordKeys(images []builtImage) []string {
	n := 0
	for _, im := range images {
		n += len(im.acc.source) + 1 + len(im.acc.id)
	}
	var b strings.Builder
	b.Grow(n)
	for _, im := range images {
		b.WriteString(string(im.acc.source))
		b.WriteByte(':')
		b.WriteString(im.acc.id)
	}
	all := b.String()
	keys := make([]string, len(images))
	start := 0
	for i, im := range images {
		end := start + len(im.acc.source) + 1 + len(im.acc.id)
		keys[i] = all[start:end]
		start = end
	}
	return keys
}

func (p *preparer) holdoutSet() map[string]bool {
	set := map[string]bool{}
	for _, id := range p.opts.HoldoutIDs {
		if id = stripImageExt(id); id != "" {
			set[id] = true
		}
	}
	return set
}

// keys[i] is images[i].key().
func (p *preparer) split(images []builtImage, keys []string, dups [][2]int, rep *Report) {
	holdout := p.holdoutSet()
	items := make([]splitItem, len(images))
	matched := map[string]bool{}
	var strata strataCache
	for i := range images {
		a := images[i].acc
		items[i] = splitItem{stratum: strata.of(images[i].findings), holdout: holdout[a.id]}
		if patient := a.patient(); patient != "" {
			items[i].group = string(a.source) + ":" + patient
		}
		if items[i].holdout {
			matched[a.id] = true
		}
	}
	splits := assignSplits(items, keys, dups, p.opts.ValFraction, p.opts.TestFraction, p.opts.Seed)
	inTest := 0
	for i := range images {
		images[i].split = splits[i]
		if splits[i] == splitTest {
			inTest++
		}
	}
	if len(holdout) > 0 {
		rep.Holdout = &HoldoutCount{Listed: len(holdout), Matched: len(matched),
			NotInCorpus: len(holdout) - len(matched), TestImages: inTest, FromFile: p.opts.HoldoutSource}
	}
}

func writeCorpus(path string, images []builtImage, names *otherNatives) error {
	return cxrkit.WriteFileAtomic(path, func(w *bufio.Writer) error {
		// One record and one other-label list serve every line.
		var rec cxrkit.Record
		var others []string
		for i := range images {
			images[i].corpusRecord(&rec, names, others)
			if rec.OtherLabels != nil {
				others = rec.OtherLabels[:0]
			}
			// The line is built in the writer's free buffer when it fits,
			// so Write copies nothing.
			line, err := rec.AppendJSON(w.AvailableBuffer())
			if err != nil {
				return fmt.Errorf("%s: %s: %w", path, rec.Key(), err)
			}
			if _, err := w.Write(append(line, '\n')); err != nil {
				return err
			}
		}
		return nil
	})
}

func writeJSONFile(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return cxrkit.WriteFileAtomic(path, func(w *bufio.Writer) error {
		_, err := w.Write(append(bytes.TrimSpace(data), '\n'))
		return err
	})
}

func roundTo(v float64, d int) float64 {
	p := 1.0
	for range d {
		p *= 10
	}
	return roundHalfAway(v*p) / p
}

// addInput records one input file in the provenance: its sha256 and the
// rows read from it. A folder input (the ChestX-Det mirror) is listed
// without a hash. The sha256 is read's when the file's reader took one as
// it read it, else the file is read again for it.
func (p *preparer) addInput(input, path string, rows int, read *inputDigest) error {
	if p.prov == nil {
		return nil // a preparer built without Prepare (tests of one reader)
	}
	if in, ok := read.finish(p.ctx); ok {
		in.Flag, in.Rows = input, rows
		p.prov.Inputs = append(p.prov.Inputs, in)
		return nil
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		p.prov.Inputs = append(p.prov.Inputs, cxrkit.InputFile{Flag: input, Path: path, Rows: rows})
		return nil
	}
	return p.prov.AddInput(p.ctx, input, path, rows)
}
