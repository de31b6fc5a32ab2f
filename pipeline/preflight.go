package pipeline

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/imaging"
)

// MissingInputError is a file or folder a config names that does not
// exist: the user's mistake in what they passed, found before any stage
// runs. It is a cxrkit.ErrInvalidOptions (the CLI exits 2) and an
// fs.ErrNotExist.
type MissingInputError struct {
	Config string // the config file
	Key    string // the config key naming the path, e.g. prepare.vindr
	Path   string // the path, resolved from the config's folder
}

func (e *MissingInputError) Error() string {
	return fmt.Sprintf("config %s: %s %s: no such file or directory", e.Config, e.Key, e.Path)
}

// Is makes the error a cxrkit.ErrInvalidOptions and an fs.ErrNotExist.
func (e *MissingInputError) Is(target error) bool {
	return target == cxrkit.ErrInvalidOptions || target == fs.ErrNotExist
}

// UnreadableInputError is a file or folder a config names that cannot be
// looked at for another reason than not existing: a path under a regular
// file (ENOTDIR), a folder without permission (EACCES). Like a missing
// input it is the user's mistake, found before any stage runs: a
// cxrkit.ErrInvalidOptions (the CLI exits 2). It unwraps to the system's
// error.
type UnreadableInputError struct {
	Config string // the config file
	Key    string // the config key naming the path, e.g. prepare.vindr
	Path   string // the path, resolved from the config's folder
	Err    error  // why it cannot be looked at, e.g. syscall.ENOTDIR
}

func (e *UnreadableInputError) Error() string {
	return fmt.Sprintf("config %s: %s %s: %v", e.Config, e.Key, e.Path, e.Err)
}

// Is makes the error a cxrkit.ErrInvalidOptions.
func (e *UnreadableInputError) Is(target error) bool { return target == cxrkit.ErrInvalidOptions }

func (e *UnreadableInputError) Unwrap() error { return e.Err }

// CheckInputs refuses a run whose config names, for a stage that will
// run, an input file or folder that does not exist (*MissingInputError)
// or cannot be looked at (*UnreadableInputError), the first in stage and
// key order. Run calls it before any stage runs; callers that print
// before Run may call it first. A stage that would be
// skipped as up to date (no Force, no earlier stage running, its last run
// complete) is not checked, so a prepare stage whose raw inputs were moved
// away after it ran is still skipped.
func CheckInputs(c *Config, o RunOptions) error {
	p := paths{out: c.OutDir()}
	last := readStatus(p.out)
	earlier := false // an earlier stage runs, so later ones see new inputs
	for _, st := range stageFiles(c, p) {
		if !c.has(st.name) {
			continue
		}
		skipped := !o.Force && !earlier && last[st.name] == StatusRan && upToDate(append(st.inputs(), c.path), st.outputs)
		if skipped {
			continue
		}
		earlier = true
		for _, in := range c.namedInputs(st.name) {
			p := in.Path
			if archive, _, ok := imaging.SplitMemberPath(p); ok {
				p = archive
			}
			switch _, err := os.Stat(p); {
			case errors.Is(err, fs.ErrNotExist):
				return &MissingInputError{Config: c.path, Key: in.Flag, Path: in.Path}
			case err != nil:
				var pe *fs.PathError
				if errors.As(err, &pe) {
					err = pe.Err // the path is named already
				}
				return &UnreadableInputError{Config: c.path, Key: in.Flag, Path: in.Path, Err: err}
			}
		}
	}
	return nil
}

// namedInputs are the files and folders the config names for stage, with
// their keys, resolved from the config's folder. Files the run writes
// itself (the corpus, the cases, the export's contract) are not named by
// the user and are not listed. Every plain string or []string setting of
// the config is either listed here or, in TestNamedInputsCoverPathKeys,
// said not to be a path (a URL, a model name, a label).
func (c *Config) namedInputs(stage string) []cxrkit.PathFlag {
	var out []cxrkit.PathFlag
	add := func(key string, paths ...string) {
		for _, v := range paths {
			if v != "" {
				out = append(out, cxrkit.PathFlag{Flag: key, Path: c.rel(v)})
			}
		}
	}
	profile := func(key, ref string) {
		if isProfileFile(ref) {
			add(key, ref)
		}
	}
	pc, ac := c.Prepare, c.Audit
	switch stage {
	case StagePrepare:
		add("prepare.vindr", pc.VinDr...)
		add("prepare.vindr_meta", pc.VinDrMeta...)
		add("prepare.vindr_images", pc.VinDrImages)
		add("prepare.vqa", pc.VQA...)
		add("prepare.chestxdet", pc.ChestXDet...)
		add("prepare.chestxdet_images", pc.ChestXDetImage)
		add("prepare.nih_bbox", pc.NIHBoxes...)
		add("prepare.nih_entries", pc.NIHEntries...)
		add("prepare.nih_images", pc.NIHImages)
		add("prepare.holdout_list", pc.HoldoutSource)
		add("prepare.labelmap", pc.Labelmap)
	case StageSynth:
		add("prepare.labelmap", pc.Labelmap)
		add("synth.phrases", c.Synth.Phrases)
	case StageExport:
		profile("export.profile", c.Export.Profile)
	case StageAudit:
		add("prepare.labelmap", pc.Labelmap)
		add("audit.prompt_grounding", ac.PromptGrounding)
		add("audit.prompt_draft", ac.PromptDraft)
		add("audit.draft_rules", ac.DraftRules)
		add("audit.draft_system_prompt", ac.DraftSystemPrompt)
		add("audit.contract", ac.Contract)
		profile("audit.profile", ac.Profile)
		if !c.set["audit.profile"] && !c.set["audit.contract"] && !c.has(StageExport) {
			profile("export.profile", c.Export.Profile) // as auditorConfigFor
		}
	case StageEval:
		add("prepare.labelmap", pc.Labelmap)
	}
	return out
}
