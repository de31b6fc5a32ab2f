package pipeline

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cxrkit/cxrkit"
)

// TestRunRefusesMissingConfigInputs: a file or folder the config names
// that does not exist is the user's mistake: refused before any stage
// runs, as a cxrkit.ErrInvalidOptions (exit 2) naming the key and the
// path; nothing is written.
func TestRunRefusesMissingConfigInputs(t *testing.T) {
	for _, c := range []struct {
		name, key string
		edit      func(string) string
	}{
		{"annotation file", "prepare.vindr_meta", func(s string) string { return strings.Replace(s, "train_meta.csv]", "nope_meta.csv]", 1) }},
		{"image folder", "prepare.nih_images", func(s string) string { return strings.Replace(s, "nih/images", "nih/nope", 1) }},
		{"phrases", "synth.phrases", func(s string) string {
			return strings.Replace(s, "synth:\n", "synth:\n  phrases: nope_phrases.yaml\n", 1)
		}},
		{"profile file", "export.profile", func(s string) string {
			return strings.Replace(s, "export:\n", "export:\n  profile: ./nope_profile.yaml\n", 1)
		}},
		{"prompt", "audit.prompt_draft", func(s string) string { return strings.Replace(s, "audit:\n", "audit:\n  prompt_draft: nope.txt\n", 1) }},
		{"draft rules", "audit.draft_rules", func(s string) string {
			return strings.Replace(s, "audit:\n", "audit:\n  draft_rules: nope_rules.yaml\n", 1)
		}},
		{"label map of a later stage", "prepare.labelmap", func(s string) string {
			s = strings.Replace(s, "stages: [prepare, synth, export, audit, eval]", "stages: [synth]", 1)
			return strings.Replace(s, "prepare:\n", "prepare:\n  labelmap: nope_labelmap.yaml\n", 1)
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			path, out := quickstartIn(t, c.edit)
			cfg, err := LoadConfig(path)
			if err != nil {
				t.Fatal(err)
			}
			s, err := Run(context.Background(), cfg, RunOptions{})
			if !errors.Is(err, cxrkit.ErrInvalidOptions) || !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), c.key+" ") || !strings.Contains(err.Error(), "nope") {
				t.Fatalf("err %v, want ErrInvalidOptions naming %s and the path", err, c.key)
			}
			if len(s.Stages) != 0 {
				t.Errorf("stages ran: %+v", s.Stages)
			}
			if entries, _ := os.ReadDir(out); len(entries) != 0 {
				t.Errorf("%s holds %d entries after a refused run", out, len(entries))
			}
		})
	}
}

// TestMissingInputOfUpToDateStage: only the inputs of stages that will
// run are checked: a prepare stage that is up to date is skipped, as
// before, when its raw inputs are gone; --force (which reruns it) is
// refused naming the key.
func TestMissingInputOfUpToDateStage(t *testing.T) {
	entries := filepath.Join(t.TempDir(), "entries.csv")
	path, _ := quickstartIn(t, func(s string) string {
		root, _ := filepath.Abs("..")
		data, err := os.ReadFile(filepath.Join(root, "testdata/nih/Data_Entry_2017_sample.csv"))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(entries, data, 0o644)
		s = strings.Replace(s, "stages: [prepare, synth, export, audit, eval]", "stages: [prepare]", 1)
		return strings.Replace(s, filepath.Join(root, "testdata/nih/Data_Entry_2017_sample.csv"), entries, 1)
	})
	cfg, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Run(context.Background(), cfg, RunOptions{}); err != nil {
		t.Fatal(err)
	}
	os.Remove(entries)
	s, err := Run(context.Background(), cfg, RunOptions{})
	if err != nil || len(s.Stages) != 1 || s.Stages[0].Status != StatusUpToDate {
		t.Fatalf("rerun without the raw input: %v, %+v; want prepare up to date", err, s)
	}
	if _, err := Run(context.Background(), cfg, RunOptions{Force: true}); !errors.Is(err, cxrkit.ErrInvalidOptions) || !strings.Contains(err.Error(), "prepare.nih_entries "+entries) {
		t.Fatalf("forced rerun: err %v, want ErrInvalidOptions naming prepare.nih_entries", err)
	}
}
