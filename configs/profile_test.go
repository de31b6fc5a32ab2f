package configs

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadEmbeddedProfiles(t *testing.T) {
	tests := []struct {
		name     string
		scale    BoxScale
		pad      bool
		prompt   string
		markers  int
		scaleMax float64
	}{
		{ProfileCxrkit, BoxScaleUnit, false, "configs/prompts/grounding.txt", 1, 1},
		{ProfileMedGemmaNative, BoxScale1000, true, "configs/prompts/grounding_medgemma.txt", 2, 1000},
	}
	for _, tt := range tests {
		p, err := LoadProfile(tt.name)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if p.Name != tt.name || p.BoxScale != tt.scale || p.PadToSquare != tt.pad || len(p.ThinkMarkers) != tt.markers || p.BoxScaleMax() != tt.scaleMax {
			t.Errorf("%s: %+v", tt.name, p)
		}
		pr, err := p.LoadPrompt(PromptGrounding, "")
		if err != nil || pr.Source != tt.prompt || len(pr.SHA256) != 64 {
			t.Errorf("%s: prompt %+v err %v", tt.name, pr, err)
		}
		if d, err := p.LoadPrompt(PromptDraftParse, ""); err != nil || !strings.Contains(d.Text, DraftPlaceholder) {
			t.Errorf("%s: draft prompt err %v", tt.name, err)
		}
	}
	def, err := LoadProfile("")
	if err != nil || def.Name != ProfileCxrkit {
		t.Errorf("empty name: %v %v, want the cxrkit profile", def.Name, err)
	}
}

func TestLoadProfileFile(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "mine.txt"), []byte("find things"), 0o644)
	good := "name: mine\nprompts: {grounding: mine.txt, draft_parse: mine.txt}\nbox_scale: \"1000\"\nbox_order: x0y0x1y1\nsampling: {temperature: 0, top_k: 1}\n"
	path := filepath.Join(dir, "mine.yaml")
	os.WriteFile(path, []byte(good), 0o644)
	p, err := LoadProfile(path)
	if err != nil {
		t.Fatal(err)
	}
	pr, err := p.LoadPrompt(PromptGrounding, "")
	if err != nil || pr.Text != "find things" || pr.Source != filepath.Join(dir, "mine.txt") {
		t.Fatalf("relative prompt: %+v %v", pr, err)
	}
	if p.BoxOrder != BoxOrderXY || p.Sampling.TopK != 1 || p.Source != path {
		t.Errorf("profile %+v", p)
	}
	bad := []struct{ name, body string }{
		{"bad scale", strings.Replace(good, `"1000"`, "pixel", 1)},
		{"bad order", strings.Replace(good, "x0y0x1y1", "xyxy", 1)},
		{"unknown field", good + "temperature: 0\n"},
		{"no prompts", "name: x\nbox_scale: unit\nbox_order: y0x0y1x1\n"},
	}
	for _, b := range bad {
		p := filepath.Join(dir, strings.ReplaceAll(b.name, " ", "_")+".yaml")
		os.WriteFile(p, []byte(b.body), 0o644)
		if _, err := LoadProfile(p); !errors.Is(err, ErrProfile) {
			t.Errorf("%s: err %v, want ErrProfile", b.name, err)
		}
	}
	if _, err := LoadProfile("medgema-native"); !errors.Is(err, ErrProfile) || !strings.Contains(err.Error(), ProfileMedGemmaNative) {
		t.Errorf("typo: err %v, want one listing the profiles", err)
	}
}

func TestStripMarkers(t *testing.T) {
	mg := []ThinkMarker{{"<unused94>", "<unused95>"}, {"<think>", "</think>"}}
	tests := []struct{ in, want string }{
		{"<unused94>thought\n[1]<unused95>[2]", "[2]"},
		{"a<think>x</think>b<think>y</think>c", "abc"},
		{"reasoning only closed</think>[3]", "[3]"},
		{"<unused94>[4]", "[4]"},
		{"plain [5]", "plain [5]"},
	}
	for _, tt := range tests {
		if got := StripMarkers(tt.in, mg); got != tt.want {
			t.Errorf("StripMarkers(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
