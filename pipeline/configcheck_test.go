package pipeline

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cxrkit/cxrkit"
)

// TestConfigErrorsInTheConfigsWords: a config mistake is reported with the
// key path, the line and what the key wants, never a Go type name.
func TestConfigErrorsInTheConfigsWords(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       []string
	}{
		{"typo", "out: x\nprepare:\n  normal_ratoi: \"1.0\"\n", []string{"line 3: prepare.normal_ratoi: unknown key; did you mean normal_ratio?"}},
		{"unknown section", "out: x\nprepar:\n  seed: 1\n", []string{"line 2: prepar: unknown key; did you mean prepare?"}},
		{"far from anything", "out: x\nzzzzzz: 1\n", []string{"line 2: zzzzzz: unknown key (known keys: out, stages, prepare"}},
		{"not a number", "out: x\nprepare:\n  seed: abc\n", []string{`line 3: prepare.seed: want a whole number, got "abc"`}},
		{"quoted number", "out: x\nprepare:\n  merge_iou: \"0.5\"\n", []string{`line 3: prepare.merge_iou: want a number, got "0.5"`}},
		{"not a list", "out: x\nprepare:\n  vindr: train.csv\n", []string{`line 3: prepare.vindr: want a list such as [a, b], got "train.csv"`}},
		{"not a bool", "out: x\nexport:\n  verify: yes please\n", []string{`line 3: export.verify: want true or false, got "yes please"`}},
		{"section as value", "out: x\nsynth: 3\n", []string{`line 2: synth: want a section of key: value lines, got "3"`}},
		{"bad ratio", "out: x\nprepare:\n  normal_ratio: lots\n", []string{`line 3: prepare.normal_ratio: normal ratio "lots": want a non-negative number or all`}},
		{"bad merge", "out: x\nprepare:\n  merge: median\n", []string{`prepare.merge`, "median"}},
		{"two at once", "out: x\naudit:\n  modle: m\n  retries: many\n", []string{"line 3: audit.modle: unknown key; did you mean model?", `line 4: audit.retries: want a whole number, got "many"`}},
	}
	for _, tt := range tests {
		path := filepath.Join(t.TempDir(), "c.yaml")
		os.WriteFile(path, []byte(tt.yaml), 0o644)
		_, err := LoadConfig(path)
		if err == nil || !errors.Is(err, cxrkit.ErrInvalidOptions) {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %q lacks %q", tt.name, err, w)
			}
		}
		if strings.Contains(err.Error(), "pipeline.") || strings.Contains(err.Error(), "!!str") || strings.Contains(err.Error(), "int64") {
			t.Errorf("%s: Go or YAML type names in %q", tt.name, err)
		}
	}
	// The shipped configs pass the check.
	for _, p := range []string{"quickstart.yaml", "vindr.yaml", "nih_eval.yaml"} {
		data, err := os.ReadFile(filepath.Join("..", "configs", p))
		if err != nil {
			t.Fatal(err)
		}
		if err := checkConfig(p, data); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
}
