package sftexport

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image/png"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/cxrkit/cxrkit/configs"
	"github.com/parquet-go/parquet-go"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

func readPromptCompletion(t *testing.T, path string) []promptCompletionRow {
	t.Helper()
	rows, err := parquet.ReadFile[promptCompletionRow](path)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestPromptCompletionExport(t *testing.T) {
	out := t.TempDir()
	s, err := Export(context.Background(), Options{Corpus: fixture(t, 4, 32), Out: out, Format: FormatPromptCompletion, Verify: true})
	if err != nil {
		t.Fatal(err)
	}
	if s.Verified == nil || s.Verified.Rows != 4 || s.Verified.ImagesDecoded != 4 {
		t.Fatalf("verify %+v", s.Verified)
	}
	rows := readPromptCompletion(t, filepath.Join(out, "grounding", "train-00000-of-00001.parquet"))
	r := rows[1]
	if len(r.Prompt) != 1 || *r.Prompt[0].Role != "user" || *r.Prompt[0].Content[0].Type != "image" || r.Prompt[0].Content[0].Text != nil ||
		!strings.Contains(*r.Prompt[0].Content[1].Text, "box_2d") {
		t.Fatalf("prompt %+v", r.Prompt)
	}
	if len(r.Completion) != 1 || *r.Completion[0].Role != "assistant" ||
		*r.Completion[0].Content[0].Text != `[{"label":"pleural_effusion","box_2d":null},{"label":"cardiomegaly","box_2d":[0.412,0.3,0.8,0.7]}]` {
		t.Fatalf("completion %+v", r.Completion)
	}
	card, _ := os.ReadFile(filepath.Join(out, "README.md"))
	for _, want := range []string{"  - name: prompt\n    list:", "  - name: completion\n    list:", "completion-only", `row["prompt"] + row["completion"]`} {
		if !strings.Contains(string(card), want) {
			t.Errorf("card lacks %q", want)
		}
	}
	if strings.Contains(string(card), "name: messages") {
		t.Error("prompt-completion card declares a messages column")
	}
	if _, err := Export(context.Background(), Options{Corpus: fixture(t, 1, 8), Out: t.TempDir(), Format: "chatml"}); err == nil {
		t.Error("unknown format accepted")
	}
}

func TestContractAndCardBlock(t *testing.T) {
	out := t.TempDir()
	corpus := fixture(t, 3, 16)
	if _, err := Export(context.Background(), Options{Corpus: corpus, Out: out, Resize: 12}); err != nil {
		t.Fatal(err)
	}
	c, err := ReadContract(out)
	if err != nil {
		t.Fatal(err)
	}
	g := c.Tasks[string(TaskGrounding)]
	if c.Profile.Name != configs.ProfileCxrkit || c.Format != FormatMessages || c.Box.Scale != "unit" || c.Box.Order != "y0x0y1x1" ||
		c.Images.MaxSide != 12 || c.Images.BitDepth != 8 || c.Images.PadToSquare || g.TargetFormat != TargetJSONArray ||
		g.PromptFile != "prompts/grounding.txt" || len(g.PromptSHA256) != 64 || g.TargetSchema["type"] != "array" || c.CxrkitVersion == "" {
		t.Fatalf("contract %+v", c)
	}
	// The card's block is the same contract.
	card, _ := os.ReadFile(filepath.Join(out, "README.md"))
	line := ""
	for _, l := range strings.Split(string(card), "\n") {
		if strings.HasPrefix(l, "cxrkit_contract: ") {
			line = strings.TrimPrefix(l, "cxrkit_contract: ")
		}
	}
	var fromCard, fromFile any
	data, _ := os.ReadFile(filepath.Join(out, ContractFile))
	if err := json.Unmarshal([]byte(line), &fromCard); err != nil || json.Unmarshal(data, &fromFile) != nil || !reflect.DeepEqual(fromCard, fromFile) {
		t.Fatalf("card block differs from contract.json (err %v)", err)
	}
	// The profile read back asks with the exported prompt copy.
	p, err := c.ProfileIn(out)
	if err != nil {
		t.Fatal(err)
	}
	pr, err := p.LoadPrompt(configs.PromptGrounding, "")
	if err != nil || pr.SHA256 != g.PromptSHA256 || pr.Source != filepath.Join(out, "prompts", "grounding.txt") {
		t.Fatalf("prompt from the contract %+v %v", pr, err)
	}
	// An edited copy is refused.
	os.WriteFile(filepath.Join(out, "prompts", "grounding.txt"), []byte("something else"), 0o644)
	if _, err := c.ProfileIn(out); !errors.Is(err, ErrContract) {
		t.Errorf("edited prompt copy: err %v", err)
	}
	if _, err := ReadContract(t.TempDir()); !errors.Is(err, ErrContract) {
		t.Errorf("missing contract: err %v", err)
	}
}

// TestTargetsMatchTheirSchema checks every exported grounding target
// against the schema the contract records (and --structured sends).
func TestTargetsMatchTheirSchema(t *testing.T) {
	for _, profile := range configs.ProfileNames() {
		t.Run(profile, func(t *testing.T) {
			out := t.TempDir()
			if _, err := Export(context.Background(), Options{Corpus: fixture(t, 6, 16), Out: out, Profile: profile}); err != nil {
				t.Fatal(err)
			}
			c, err := ReadContract(out)
			if err != nil {
				t.Fatal(err)
			}
			comp := jsonschema.NewCompiler()
			if err := comp.AddResource("target.json", roundTrip(t, c.Tasks[string(TaskGrounding)].TargetSchema)); err != nil {
				t.Fatal(err)
			}
			sch, err := comp.Compile("target.json")
			if err != nil {
				t.Fatal(err)
			}
			paths, _ := filepath.Glob(filepath.Join(out, "grounding", "*.parquet"))
			n := 0
			for _, p := range paths {
				for _, r := range readRows(t, p) {
					text := *r.Messages[1].Content[0].Text
					if c.Tasks[string(TaskGrounding)].TargetFormat == TargetFencedJSONList {
						if !strings.HasPrefix(text, "```json\n") || !strings.HasSuffix(text, "\n```") {
							t.Fatalf("target %q is not fenced", text)
						}
						text = strings.TrimSuffix(strings.TrimPrefix(text, "```json\n"), "\n```")
					}
					v, err := jsonschema.UnmarshalJSON(strings.NewReader(text))
					if err != nil {
						t.Fatal(err)
					}
					if err := sch.Validate(v); err != nil {
						t.Errorf("target %s does not match the schema: %v", text, err)
					}
					n++
				}
			}
			if n != 6 {
				t.Fatalf("checked %d targets", n)
			}
			// A target outside the scale is refused: the bound is real.
			bad, _ := jsonschema.UnmarshalJSON(strings.NewReader(`[{"label":"cardiomegaly","box_2d":[0,0,1001,1]}]`))
			if sch.Validate(bad) == nil {
				t.Error("schema accepts a box beyond the profile's scale")
			}
		})
	}
}

func roundTrip(t *testing.T, v any) any {
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestMedGemmaNativeExportPadsAndShiftsBoxes(t *testing.T) {
	out := t.TempDir()
	// Image 1 is 48×64 (portrait) with cardiomegaly at [0.41234, 0.3, 0.8, 0.70001].
	if _, err := Export(context.Background(), Options{Corpus: fixture(t, 2, 64), Out: out, Profile: configs.ProfileMedGemmaNative}); err != nil {
		t.Fatal(err)
	}
	rows := readRows(t, filepath.Join(out, "grounding", "train-00000-of-00001.parquet"))
	img, err := png.Decode(bytes.NewReader(rows[1].Images[0].Bytes))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 64 || b.Dy() != 64 {
		t.Fatalf("exported %v, want the 64×64 square", b)
	}
	// Padded by 8 columns each side: x ↦ (8 + 48x) / 64, on the 0–1000 grid.
	want := "```json\n" + `[{"label":"pleural_effusion","box_2d":null},{"label":"cardiomegaly","box_2d":[412,350,800,650]}]` + "\n```"
	if got := *rows[1].Messages[1].Content[0].Text; got != want {
		t.Fatalf("target %q, want %q", got, want)
	}
	c, err := ReadContract(out)
	if err != nil || !c.Images.PadToSquare || c.Box.Scale != "1000" || c.Tasks[string(TaskGrounding)].TargetFormat != TargetFencedJSONList {
		t.Fatalf("contract %+v %v", c, err)
	}
}
