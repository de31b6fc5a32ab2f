package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/configs"
	"github.com/cxrkit/cxrkit/infer/fakevllm"
)

// exportForContract exports one image under profile and returns the
// export folder.
func exportForContract(t *testing.T, profile string) string {
	t.Helper()
	if _, err := os.Stat(nihImage); err != nil {
		t.Skip(err)
	}
	dir := t.TempDir()
	abs, _ := filepath.Abs(nihImage)
	rec := cxrkit.Record{ImageID: "00000001_000", Source: "nih", Split: "train", ImagePath: abs, Findings: cxrkit.NoFindingList()}
	data, _ := json.Marshal(rec)
	corpus := filepath.Join(dir, "corpus.jsonl")
	os.WriteFile(corpus, append(data, '\n'), 0o644)
	out := filepath.Join(dir, "sft")
	if code, _, stderr := runCLI(t, "export", "--corpus", corpus, "--out", out, "--profile", profile, "--resize", "512"); code != exitOK {
		t.Fatalf("export: exit %d: %s", code, stderr)
	}
	return out
}

func TestAuditContract(t *testing.T) {
	out := exportForContract(t, configs.ProfileMedGemmaNative)
	s := fakevllm.New(fakevllm.Options{Responder: func(fakevllm.Request) string {
		return "```json\n[{\"label\": \"cardiomegaly\", \"box_2d\": [500, 250, 750, 750]}]\n```"
	}})
	defer s.Close()
	other := filepath.Join(t.TempDir(), "other.txt")
	os.WriteFile(other, []byte("Find everything, in any format."), 0o644)
	base := []string{"audit", "--endpoint", s.APIURL(), "--model", "fake/medgemma-cxr", "--no-cache",
		"--image", nihImage, "--draft", "Cardiomegaly.", "--contract", out}

	// Nothing given: the contract's profile, prompt and image size are used.
	code, stdout, stderr := runCLI(t, base...)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	req := s.Requests()[0]
	exported, _ := os.ReadFile(filepath.Join(out, "prompts", "grounding.txt"))
	if !strings.Contains(req.Text(), strings.TrimSpace(string(exported))) {
		t.Fatalf("asked %q, not the exported prompt", req.Text())
	}
	var r cxrkit.Result
	json.Unmarshal([]byte(stdout), &r)
	if r.Prompts[configs.PromptGrounding] != configs.SHA256Hex(exported) {
		t.Errorf("result records prompt %s", r.Prompts[configs.PromptGrounding])
	}
	// medgemma-native from the contract: the 1024×1024 radiograph fitted
	// to the exported 512 is shown as a 512 square.
	if img := sentImage(t, req); img == nil || img.Bounds().Dx() != 512 || img.Bounds().Dy() != 512 {
		t.Fatalf("sent image %v", img)
	}

	refused := []struct {
		name string
		args []string
		want string
	}{
		{"conflicting prompt", []string{"--prompt-grounding", other}, "grounding prompt"},
		{"conflicting profile", []string{"--profile", "cxrkit"}, "--profile cxrkit"},
		{"conflicting image size", []string{"--image-max-side", "896"}, "fitted to 512"},
		{"conflicting box scale", []string{"--box-scale", "unit"}, "scale 1000"},
	}
	for _, tt := range refused {
		code, _, stderr := runCLI(t, append(base, tt.args...)...)
		if code != exitUsage || !strings.Contains(stderr, "contract") || !strings.Contains(stderr, tt.want) {
			t.Errorf("%s: exit %d (%s), want %d naming %q", tt.name, code, stderr, exitUsage, tt.want)
		}
	}
	n := len(s.Requests())
	code, _, stderr = runCLI(t, append(base, "--prompt-grounding", other, "--allow-mismatch")...)
	if code != exitOK || !strings.Contains(stderr, "warning") || !strings.Contains(stderr, "grounding prompt") {
		t.Fatalf("allow-mismatch: exit %d: %s", code, stderr)
	}
	if got := s.Requests()[n].Text(); !strings.Contains(got, "Find everything") {
		t.Errorf("allow-mismatch asked %q, want the explicit prompt", got)
	}
	// A tampered prompt copy is caught.
	os.WriteFile(filepath.Join(out, "prompts", "grounding.txt"), []byte("edited"), 0o644)
	if code, _, stderr := runCLI(t, base...); code == exitOK || !strings.Contains(stderr, "sha256") {
		t.Errorf("tampered prompt: exit %d: %s", code, stderr)
	}
}

func sentImage(t *testing.T, r fakevllm.Request) image.Image {
	t.Helper()
	u := r.Messages[0].ImageURL()
	data, err := base64.StdEncoding.DecodeString(u[strings.IndexByte(u, ',')+1:])
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return img
}
