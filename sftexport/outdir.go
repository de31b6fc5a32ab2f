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

// An export is built in a hidden staging folder inside Out and swapped in
// task folder by task folder, so a killed run leaves each task either
// wholly old or wholly new; staging folders of killed runs are removed by
// the next run.
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

func knownTasks() []string { return []string{TaskGrounding, TaskDraftParse} }

// isAtomicTemp matches the hidden names of cxrkit.CreateAtomic.
func isAtomicTemp(name string) bool {
	return strings.HasPrefix(name, ".") && strings.Contains(name, ".tmp-")
}

// isTempShard matches the hidden shard names of shardSet.open.
func isTempShard(name string) bool {
	return strings.HasPrefix(name, ".") && strings.HasSuffix(name, ".parquet.tmp")
}

// removeLeftovers deletes staging folders and temporary shards that killed
// runs left in out.
func removeLeftovers(out string) error {
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
func swapIn(stage, out string, tasks []string) error {
	for _, task := range knownTasks() {
		if slices.Contains(tasks, task) {
			continue
		}
		old := filepath.Join(out, task)
		if _, err := os.Stat(old); err != nil {
			continue
		}
		if err := os.Rename(old, filepath.Join(stage, task)); err != nil {
			return fmt.Errorf("remove stale %s: %w", old, err)
		}
	}
	for _, task := range tasks {
		src, dst := filepath.Join(stage, task), filepath.Join(out, task)
		if _, err := os.Stat(src); err != nil {
			continue
		}
		if err := exchangeDirs(src, dst); err != nil {
			return fmt.Errorf("swap in %s: %w", dst, err)
		}
	}
	return nil
}
