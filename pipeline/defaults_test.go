package pipeline

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/audit"
	"github.com/cxrkit/cxrkit/dataset"
	"github.com/cxrkit/cxrkit/eval"
	"github.com/cxrkit/cxrkit/infer"
	"github.com/cxrkit/cxrkit/sftexport"
	"github.com/cxrkit/cxrkit/synth"
)

// loadConfigText writes a config into a temporary folder and loads it.
func loadConfigText(t *testing.T, text string) *Config {
	t.Helper()
	path := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// sameSettings fails the test for every config key (yaml-tagged field)
// whose value differs between got and want, except the keys given.
func sameSettings(t *testing.T, section string, got, want any, except ...string) {
	t.Helper()
	g, err := yamlSettings(got)
	if err != nil {
		t.Fatal(err)
	}
	w, err := yamlSettings(want)
	if err != nil {
		t.Fatal(err)
	}
	if len(w) == 0 {
		t.Fatalf("%s: no settings to compare", section)
	}
	for k, wv := range w {
		if slices.Contains(except, k) {
			continue
		}
		if !reflect.DeepEqual(g[k], wv) {
			t.Errorf("%s.%s left out of the config is %v, want the stage default %v", section, k, g[k], wv)
		}
	}
}

// A prepare setting left out of a config means dataset.Defaults(), the
// same place the prepare flags take their values from (see cmd/cxrkit's
// TestPrepareFlagsTakeDefaults): one default, changed in one place,
// changes both. Every config key is compared.
func TestRunPrepareDecodesOverDefaults(t *testing.T) {
	c := loadConfigText(t, "out: o\nprepare:\n  vindr: [train.csv]\n")
	sameSettings(t, "prepare", c.Prepare, dataset.Defaults(), "vindr")
	got, err := prepareOptions(c, paths{out: c.OutDir()})
	if err != nil {
		t.Fatal(err)
	}
	sameSettings(t, "prepare", got, dataset.Defaults(), "vindr")
	if len(got.VinDr) != 1 || got.VinDr[0] != filepath.Join(filepath.Dir(c.Path()), "train.csv") {
		t.Errorf("vindr %v: want the path relative to the config", got.VinDr)
	}
}

// The synth and export sections decode over their stages' Defaults(),
// which the synth and export flags take their values from (cmd/cxrkit's
// TestSynthExportFlagsTakeDefaults).
func TestRunSynthExportDecodeOverDefaults(t *testing.T) {
	c := loadConfigText(t, "out: o\nsynth:\n  seed: 3\nexport:\n  verify: true\n")
	sameSettings(t, "synth", c.Synth, synth.Defaults(), "seed")
	sameSettings(t, "export", c.Export, sftexport.Defaults(), "verify")
	if c.Synth.Seed != 3 || !c.Export.Verify {
		t.Errorf("synth seed %d, export verify %v: want the config's 3 and true", c.Synth.Seed, c.Export.Verify)
	}
	for _, bad := range []string{"synth:\n  cases: [faithfull]\n", "export:\n  format: chat\n", "export:\n  workres: 2\n"} {
		path := filepath.Join(t.TempDir(), "c.yaml")
		os.WriteFile(path, []byte("out: o\n"+bad), 0o644)
		if _, err := LoadConfig(path); !errors.Is(err, cxrkit.ErrInvalidOptions) {
			t.Errorf("%q: err %v, want ErrInvalidOptions", bad, err)
		}
	}
}

// The audit section decodes over AuditorDefaults(), which the audit
// flags take their values from (cmd/cxrkit's TestAuditFlagsTakeDefaults);
// only grounding (gold) is run's own default.
func TestRunAuditDecodesOverDefaults(t *testing.T) {
	c := loadConfigText(t, "out: o\nstages: [audit]\naudit:\n  model: m\n")
	sameSettings(t, "audit", c.Audit.AuditorConfig, AuditorDefaults(), "model")
	if c.Audit.Grounding != GroundingGold || c.Audit.Concurrency != audit.BatchDefaults().Concurrency {
		t.Errorf("grounding %q concurrency %d: want gold and audit's default", c.Audit.Grounding, c.Audit.Concurrency)
	}
	for _, bad := range []string{"grounding: golden", "draft_parser: llmm", "uncertain_as: maybe", "box_scale: inch", "timeout: soon", "concurrency: 0"} {
		path := filepath.Join(t.TempDir(), "c.yaml")
		os.WriteFile(path, []byte("out: o\naudit:\n  "+bad+"\n"), 0o644)
		if _, err := LoadConfig(path); !errors.Is(err, cxrkit.ErrInvalidOptions) || !strings.Contains(err.Error(), strings.Split(bad, ":")[0]) {
			t.Errorf("%q: err %v, want ErrInvalidOptions naming the key", bad, err)
		}
	}
}

// Under a contract (this run's export), the profile and image size the
// file leaves out are the contract's; the ones it gives are checked.
func TestRunAuditDefersToContract(t *testing.T) {
	tests := []struct {
		audit   string
		profile string
		maxSide int
	}{
		{"", "", 0},
		{"  image_max_side: 512\n", "", 512},
		{"  profile: medgemma-native\n", "medgemma-native", AuditorDefaults().MaxSide},
	}
	for _, tt := range tests {
		c := loadConfigText(t, "out: o\nstages: [export, audit]\naudit:\n  grounding: gold\n"+tt.audit)
		got := auditorConfigFor(c, paths{out: c.OutDir()})
		wantContract := ""
		if tt.profile == "" {
			wantContract = filepath.Join(c.OutDir(), "export")
		}
		if got.Profile != tt.profile || got.MaxSide != tt.maxSide || got.Contract != wantContract {
			t.Errorf("%q: profile %q max side %d contract %q; want %q %d %q", tt.audit, got.Profile, got.MaxSide, got.Contract, tt.profile, tt.maxSide, wantContract)
		}
	}
}

// The eval section decodes over eval.Defaults() (the eval flags'), and
// image reports are on unless the file says images: false.
func TestRunEvalDecodesOverDefaults(t *testing.T) {
	c := loadConfigText(t, "out: o\neval:\n  seed: 4\n")
	sameSettings(t, "eval", c.Eval.ImageOptions, eval.Defaults(), "seed")
	if c.Eval.Seed != 4 || !c.Eval.Images {
		t.Errorf("eval seed %d images %v: want 4 and true", c.Eval.Seed, c.Eval.Images)
	}
	for _, bad := range []string{"bootstrap: -1", "iou: [0.3, 1.5]", "warn_failed_share: 2", "imagse: false"} {
		path := filepath.Join(t.TempDir(), "c.yaml")
		os.WriteFile(path, []byte("out: o\neval:\n  "+bad+"\n"), 0o644)
		if _, err := LoadConfig(path); !errors.Is(err, cxrkit.ErrInvalidOptions) {
			t.Errorf("%q: err %v, want ErrInvalidOptions", bad, err)
		}
	}
}

func TestRunPrepareSettingsOverrideDefaults(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "c.yaml")
	cfg := "out: o\nprepare:\n  merge: mean\n  min_readers: 2\n  normal_ratio: all\n  test_fraction: 0.2\n  seed: 7\n"
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	o, err := prepareOptions(c, paths{out: c.OutDir()})
	if err != nil {
		t.Fatal(err)
	}
	if o.Merge != "mean" || o.MinReaders != 2 || o.NormalRatio != dataset.NormalRatioAll || o.TestFraction != 0.2 || o.Seed != 7 {
		t.Errorf("options %+v do not carry the config's settings", o)
	}
}

// The LLM draft parser of eval --iu-reports and of audit use one client
// default each (infer's), and score hedges by their stage's default.
func TestParserEvalDefaultsAreInfers(t *testing.T) {
	pd, ad := ParserEvalDefaults(), AuditorDefaults()
	cd := infer.ClientDefaults()
	if pd.Timeout != cd.Timeout || pd.MaxTokens != infer.DefaultDraftMaxTokens || pd.Retries != cd.Retries {
		t.Errorf("parser eval timeout %v max tokens %d retries %d, want infer's %v %d %d",
			pd.Timeout, pd.MaxTokens, pd.Retries, cd.Timeout, infer.DefaultDraftMaxTokens, cd.Retries)
	}
	if pd.Timeout != ad.Timeout || pd.MaxTokens != ad.DraftMaxTokens {
		t.Errorf("eval and audit draft-model defaults drifted: %v/%d vs %v/%d", pd.Timeout, pd.MaxTokens, ad.Timeout, ad.DraftMaxTokens)
	}
	if pd.UncertainAs != UncertainAbsent || ad.UncertainAs != UncertainPresent || ad.DraftParser != DraftParserRules {
		t.Errorf("hedges: eval %q, audit %q; audit draft parser %q", pd.UncertainAs, ad.UncertainAs, ad.DraftParser)
	}
}
