package eval

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestEvalInputsRefused(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(data), 0o644)
		return p
	}
	rec := `{"image_id":"a","source":"nih","split":"train","findings":[{"label":"cardiomegaly","box_2d":null}]}`
	cs := `{"case_id":"c1","image_id":"a","source":"nih","draft_text":"x","expected_audit":{"missing_findings":[],"unsupported_claims":[],"urgent_review_flags":[]},"corrupted_labels":[]}`
	res := `{"case_id":"c1","image_id":"a","image_findings":[],"draft_findings":[],"audit":{"missing_findings":[],"unsupported_claims":[],"urgent_review_flags":[]},"parse":{"grounding":"ok","draft":"rules"},"error":null}`
	tests := []struct {
		name string
		load func(string) error
		data string
		want string
	}{
		{"cases as pred", func(p string) error { _, err := LoadResults(p); return err }, cs + "\n", ":1: bad eval input: not audit results"},
		{"corpus as pred", func(p string) error { _, err := LoadResults(p); return err }, rec + "\n", "not audit results"},
		{"corpus as cases", func(p string) error { _, err := LoadCases(p); return err }, rec + "\n", "not cases"},
		{"results as gold", func(p string) error { _, err := LoadGold(p); return err }, res + "\n", "not a corpus"},
		{"empty pred", func(p string) error { _, err := LoadResults(p); return err }, "\n", "empty: no audit results"},
		{"duplicate result", func(p string) error { _, err := LoadResults(p); return err }, res + "\n" + res + "\n", `:2: bad eval input: duplicate key "c1" (first at line 1)`},
		{"duplicate gold", func(p string) error { _, err := LoadGold(p); return err }, rec + "\n" + rec + "\n", "duplicate key"},
		{"duplicate case", func(p string) error { _, err := LoadCases(p); return err }, cs + "\n" + cs + "\n", "duplicate key"},
		{"label outside vocabulary", func(p string) error { _, err := LoadResults(p); return err },
			strings.Replace(res, `"image_findings":[]`, `"image_findings":[{"label":"cardiomegal","box_2d":null}]`, 1) + "\n", `label "cardiomegal" is not in the vocabulary`},
		{"hand-edited line", func(p string) error { _, err := LoadResults(p); return err }, `{"case_id":"c005"}` + "\n", `no "image_id"`},
	}
	for i, tt := range tests {
		p := write(string(rune('a'+i))+".jsonl", tt.data)
		err := tt.load(p)
		if !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: err %v, want %q naming %s", tt.name, err, tt.want, p)
		}
	}
	for _, ok := range []struct {
		load func(string) error
		data string
	}{
		{func(p string) error { _, err := LoadResults(p); return err }, res + "\n"},
		{func(p string) error { _, err := LoadCases(p); return err }, cs + "\n"},
		{func(p string) error { _, err := LoadGold(p); return err }, rec + "\n"},
	} {
		if err := ok.load(write("ok.jsonl", ok.data)); err != nil {
			t.Errorf("good file refused: %v", err)
		}
	}
}
