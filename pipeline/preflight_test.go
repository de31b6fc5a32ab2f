package pipeline

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"syscall"
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

// TestUnreadableConfigInput: a path the config names that cannot be
// looked at for another reason than not existing (here a folder under a
// regular file: ENOTDIR) is refused like a missing one, before any stage
// runs, as a cxrkit.ErrInvalidOptions naming the key and the path. It
// was let through to fail later (exit 1 after earlier stages).
func TestUnreadableConfigInput(t *testing.T) {
	path, out := quickstartIn(t, func(s string) string {
		return strings.Replace(s, "nih/images", "nih/Data_Entry_2017_sample.csv/images", 1)
	})
	cfg, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Run(context.Background(), cfg, RunOptions{})
	var ue *UnreadableInputError
	if !errors.Is(err, cxrkit.ErrInvalidOptions) || !errors.Is(err, syscall.ENOTDIR) || !errors.As(err, &ue) ||
		!strings.Contains(err.Error(), "prepare.nih_images "+filepath.Join(filepath.Dir(ue.Path), "images")+": not a directory") {
		t.Fatalf("err %v, want ErrInvalidOptions naming prepare.nih_images, the path and ENOTDIR", err)
	}
	if len(s.Stages) != 0 {
		t.Errorf("stages ran: %+v", s.Stages)
	}
	if entries, _ := os.ReadDir(out); len(entries) != 0 {
		t.Errorf("%s holds %d entries after a refused run", out, len(entries))
	}
}

// notInputPaths are the config's plain string and []string settings that
// do not name a file or folder. The rule TestNamedInputsCoverPathKeys
// enforces: every field of type string or []string in the run config's
// option structs (named string types are closed sets, never paths) is
// either checked by namedInputs or listed here, so a path key added to a
// stage's options fails the test until it is pre-checked (or listed).
var notInputPaths = map[string]string{
	"out":                  "the folder the run writes",
	"stages":               "stage names",
	"audit.endpoints":      "URLs",
	"audit.draft_endpoint": "a URL",
	"audit.model":          "a model name",
	"audit.draft_model":    "a model name",
	"audit.api_key_env":    "an environment variable's name",
	"audit.urgent":         "labels",
}

// TestNamedInputsCoverPathKeys walks the run config's option structs by
// their yaml tags and fails when a string or []string setting is neither
// checked before the run (namedInputs, for some stage) nor listed in
// notInputPaths.
func TestNamedInputsCoverPathKeys(t *testing.T) {
	var c Config
	c.dir = t.TempDir()
	var keys []string
	// set gives every string setting a value that reads as a file path
	// (profile settings are checked only when they look like one).
	var set func(prefix string, v reflect.Value)
	set = func(prefix string, v reflect.Value) {
		for i := range v.NumField() {
			f := v.Type().Field(i)
			tag := strings.Split(f.Tag.Get("yaml"), ",")
			if !f.IsExported() || tag[0] == "-" {
				continue
			}
			inline := len(tag) > 1 && tag[1] == "inline"
			key := prefix + tag[0]
			switch {
			case f.Type.Kind() == reflect.Struct && inline:
				set(prefix, v.Field(i))
			case f.Type.Kind() == reflect.Struct:
				set(key+".", v.Field(i))
			case f.Type == reflect.TypeFor[string]():
				v.Field(i).SetString("./" + key + ".yaml")
				keys = append(keys, key)
			case f.Type == reflect.TypeFor[[]string]():
				v.Field(i).Set(reflect.ValueOf([]string{"./" + key + ".yaml"}))
				keys = append(keys, key)
			}
		}
	}
	set("", reflect.ValueOf(&c).Elem())
	if len(keys) < 20 {
		t.Fatalf("found only %d string settings: %v", len(keys), keys)
	}
	checked := map[string]bool{}
	for _, st := range Stages() {
		for _, in := range c.namedInputs(st) {
			checked[in.Flag] = true
		}
	}
	for _, k := range keys {
		switch why, listed := notInputPaths[k]; {
		case checked[k] && listed:
			t.Errorf("%s is checked as an input path but listed as %s", k, why)
		case !checked[k] && !listed:
			t.Errorf("%s is a string setting that namedInputs does not check: check it or list it in notInputPaths", k)
		}
	}
	for k := range notInputPaths {
		if !slices.Contains(keys, k) {
			t.Errorf("notInputPaths lists %s, which is no string setting", k)
		}
	}
}
