package configs

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadDefaultOr(t *testing.T) {
	override := filepath.Join(t.TempDir(), "mine.yaml")
	if err := os.WriteFile(override, []byte("labels: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	embedded, err := ReadFile("labelmap.yaml")
	if err != nil {
		t.Fatal(err)
	}

	data, src, err := ReadDefaultOr("labelmap.yaml", "")
	if err != nil || src != "configs/labelmap.yaml" || !bytes.Equal(data, embedded) {
		t.Errorf("default: src=%q err=%v same=%v", src, err, bytes.Equal(data, embedded))
	}
	data, src, err = ReadDefaultOr("labelmap.yaml", override)
	if err != nil || src != override || string(data) != "labels: []\n" {
		t.Errorf("override: src=%q err=%v data=%q", src, err, data)
	}
	missing := filepath.Join(t.TempDir(), "nope.yaml")
	if _, _, err := ReadDefaultOr("labelmap.yaml", missing); err == nil || !strings.Contains(err.Error(), "nope.yaml") {
		t.Errorf("missing override: err=%v, want one naming the file", err)
	}
	if _, _, err := ReadDefaultOr("no-such-default.yaml", ""); err == nil {
		t.Error("missing embedded default: want an error")
	}
}

func TestLoadPromptDefaults(t *testing.T) {
	for _, name := range []string{PromptGrounding, PromptDraftParse} {
		p, err := LoadPrompt(name, "")
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if p.Source != "configs/prompts/"+name+".txt" || len(p.SHA256) != 64 || strings.TrimSpace(p.Text) == "" {
			t.Errorf("%s: source %q sha %q text %d bytes", name, p.Source, p.SHA256, len(p.Text))
		}
	}
	draft, _ := LoadPrompt(PromptDraftParse, "")
	if !strings.Contains(draft.Text, DraftPlaceholder) {
		t.Errorf("draft prompt lacks %s", DraftPlaceholder)
	}
	empty := filepath.Join(t.TempDir(), "empty.txt")
	os.WriteFile(empty, nil, 0o644)
	if _, err := LoadPrompt(PromptGrounding, empty); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Errorf("empty override: err=%v", err)
	}
}
