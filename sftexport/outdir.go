package sftexport

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/cxrkit/cxrkit"
)

// An export is built in a hidden staging folder beside Out and exchanged
// with it whole, or (with --force over foreign files) inside Out and
// swapped in task folder by task folder, so a killed run leaves the old
// export or the new one (each task wholly old or wholly new); staging
// folders of killed runs are removed by the next run.
const stagePrefix = ".cxrkit-export-"

// cardMarker is the line of the dataset card that shows cxrkit wrote it.
const cardMarker = "Exported by `cxrkit export`"

// ErrForeignFiles marks an --out folder holding files export did not write.
var ErrForeignFiles = errors.New("output folder holds files cxrkit export did not write")

// checkOwned refuses an existing out folder holding anything export does
// not write: a card, task folders of shards, and its own leftovers.
func checkOwned(out string) error {
	entries, err := os.ReadDir(out)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	foreign := func(name string) error {
		return fmt.Errorf("%w: %w: --out %s holds %s; choose an empty or new folder, or add --force",
			cxrkit.ErrInvalidOptions, ErrForeignFiles, out, name)
	}
	for _, e := range entries {
		name := e.Name()
		p := filepath.Join(out, name)
		switch {
		case strings.HasPrefix(name, stagePrefix), isAtomicTemp(name):
		case name == ContractFile && e.Type().IsRegular():
		case name == "prompts" && e.IsDir():
			files, err := os.ReadDir(p)
			if err != nil {
				return err
			}
			for _, f := range files {
				if !strings.HasSuffix(f.Name(), ".txt") && !isAtomicTemp(f.Name()) {
					return foreign(filepath.Join(name, f.Name()))
				}
			}
		case name == "README.md" && e.Type().IsRegular():
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			if !strings.Contains(string(data), cardMarker) {
				return foreign(name)
			}
		case slices.Contains(knownTasks(), name) && e.IsDir():
			files, err := os.ReadDir(p)
			if err != nil {
				return err
			}
			for _, f := range files {
				if !shardRE.MatchString(f.Name()) && !isTempShard(f.Name()) {
					return foreign(filepath.Join(name, f.Name()))
				}
			}
		default:
			return foreign(name)
		}
	}
	return nil
}

func knownTasks() []string {
	var names []string
	for _, t := range Tasks() {
		names = append(names, string(t))
	}
	return names
}

// isAtomicTemp matches the hidden names of cxrkit.CreateAtomic.
func isAtomicTemp(name string) bool {
	return strings.HasPrefix(name, ".") && strings.Contains(name, ".tmp-")
}

// isTempShard matches the hidden shard names of shardSet.open.
func isTempShard(name string) bool {
	return strings.HasPrefix(name, ".") && strings.HasSuffix(name, ".parquet.tmp")
}

// siblingPrefix names the staging folders of a whole export, beside out
// (".sft.cxrkit-export-" for out/sft).
func siblingPrefix(out string) string {
	return "." + filepath.Base(out) + stagePrefix
}

// wholeSwapPossible reports whether out can be replaced by exchanging it
// with a folder beside it: a real folder (a symbolic link would be
// replaced by a folder) with a parent, and not the working folder or one
// of its parents (the process and the user's shell would be left in the
// deleted old export).
func wholeSwapPossible(out string) bool {
	st, err := os.Lstat(out)
	if err != nil || !st.IsDir() {
		return false
	}
	abs, err := filepath.Abs(out)
	if err != nil || filepath.Dir(abs) == abs {
		return false
	}
	wd, err := os.Getwd()
	if err != nil {
		return false
	}
	rel, err := filepath.Rel(abs, wd)
	return err == nil && (rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)))
}

// removeLeftovers deletes staging folders and temporary shards that killed
// runs left in out, and whole-export staging folders left beside it.
func removeLeftovers(out string) error {
	if abs, err := filepath.Abs(out); err == nil {
		parent := filepath.Dir(abs)
		siblings, _ := os.ReadDir(parent) // an unreadable parent holds none of ours
		for _, e := range siblings {
			if strings.HasPrefix(e.Name(), siblingPrefix(abs)) {
				if err := os.RemoveAll(filepath.Join(parent, e.Name())); err != nil {
					return err
				}
			}
		}
	}
	entries, err := os.ReadDir(out)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return err
	}
	for _, e := range entries {
		p := filepath.Join(out, e.Name())
		switch {
		case strings.HasPrefix(e.Name(), stagePrefix), isAtomicTemp(e.Name()):
			if err := os.RemoveAll(p); err != nil {
				return err
			}
		case slices.Contains(knownTasks(), e.Name()) && e.IsDir():
			files, err := os.ReadDir(p)
			if err != nil {
				return err
			}
			for _, f := range files {
				if isTempShard(f.Name()) {
					if err := os.Remove(filepath.Join(p, f.Name())); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}

// swapIn moves each staged task folder to out/<task>, exchanging it with
// the old one in a single rename where the system allows, and removes the
// old shards; the staging folder then holds only what is to be deleted.
// Task folders of an earlier export that this one did not produce move
// into staging too: the contract and card describe only this export's
// tasks, and Verify reads every task folder.
func swapIn(stage, out string, tasks []Task) error {
	for _, task := range Tasks() {
		if slices.Contains(tasks, task) {
			continue
		}
		old := filepath.Join(out, string(task))
		if _, err := os.Stat(old); err != nil {
			continue
		}
		if err := os.Rename(old, filepath.Join(stage, string(task))); err != nil {
			return fmt.Errorf("remove stale %s: %w", old, err)
		}
	}
	for _, task := range tasks {
		src, dst := filepath.Join(stage, string(task)), filepath.Join(out, string(task))
		if _, err := os.Stat(src); err != nil {
			continue
		}
		if err := exchangeDirs(src, dst); err != nil {
			return fmt.Errorf("swap in %s: %w", dst, err)
		}
	}
	return nil
}
