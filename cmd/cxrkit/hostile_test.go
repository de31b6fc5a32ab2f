package main

import (
	"image"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cxrkit/cxrkit/infer/fakevllm"
)

// TestDicom2PNGRefusals: an image over --max-pixels and a FIFO are
// refused with exit 1 and a one-line error, never a usage error, a panic
// or a hang.
func TestDicom2PNGRefusals(t *testing.T) {
	dir := t.TempDir()
	code, _, stderr := runCLI(t, "dicom2png", "--max-pixels", "1000", "--out", filepath.Join(dir, "x.png"), "../../imaging/testdata/mono1_12bit.dcm")
	if code != exitFailure || !strings.Contains(stderr, "--max-pixels") || strings.Count(strings.TrimSpace(stderr), "\n") > 1 {
		t.Errorf("over --max-pixels: exit %d, stderr %q", code, stderr)
	}
	fifo := filepath.Join(dir, "pipe.dcm")
	if err := mkfifo(fifo); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	done := make(chan int, 1)
	go func() {
		code, _, _ := runCLI(t, "dicom2png", "--out", filepath.Join(dir, "y.png"), fifo)
		done <- code
	}()
	select {
	case code := <-done:
		if code != exitFailure {
			t.Errorf("FIFO: exit %d", code)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("dicom2png blocked on a FIFO")
	}
}

// noisePNG writes a w×h grey PNG of noise (it does not compress: the file
// is about w×h bytes) and returns its absolute path.
func noisePNG(t *testing.T, dir string, w, h int) string {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, w, h))
	r := rand.New(rand.NewPCG(1, 2))
	for i := range img.Pix {
		img.Pix[i] = uint8(r.Uint32())
	}
	path := filepath.Join(dir, "noise.png")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestMaxImageMB: every command that reads images takes --max-image-mb
// and refuses, naming the flag, an image over it that the default budget
// reads; zero is a usage error for serve.
func TestMaxImageMB(t *testing.T) {
	dir := t.TempDir()
	img := noisePNG(t, dir, 1200, 1200) // ~1.4 MiB file, 1.4 MiB decoded
	corpus := filepath.Join(dir, "c.jsonl")
	if err := os.WriteFile(corpus, []byte(`{"image_id":"a","source":"nih","split":"train","image_path":"`+img+`","findings":[{"label":"no_finding","box_2d":null}]}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dcm, err := os.ReadFile("../../imaging/testdata/mono1_12bit.dcm")
	if err != nil {
		t.Fatal(err)
	}
	bigDCM := filepath.Join(dir, "big.dcm") // a valid DICOM and 2 MiB of trailing bytes
	if err := os.WriteFile(bigDCM, append(dcm, make([]byte, 2<<20)...), 0o644); err != nil {
		t.Fatal(err)
	}
	s := fakevllm.New(fakevllm.Options{Responder: grounding})
	defer s.Close()
	audit := []string{"audit", "--endpoint", s.APIURL(), "--model", "fake/medgemma-cxr", "--no-cache", "--image", img, "--draft", "No effusion."}
	tests := []struct {
		name string
		args []string
	}{
		{"export", []string{"export", "--corpus", corpus, "--out", filepath.Join(dir, "sft")}},
		{"audit", audit},
		{"dicom2png", []string{"dicom2png", "--out", filepath.Join(dir, "x.png"), bigDCM}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			with := append([]string{tt.args[0], "--max-image-mb", "1"}, tt.args[1:]...)
			code, out, stderr := runCLI(t, with...)
			if code != exitFailure || !strings.Contains(out+stderr, "--max-image-mb") {
				t.Errorf("--max-image-mb 1: exit %d, want %d naming the flag:\n%s%s", code, exitFailure, out, stderr)
			}
			if tt.name == "dicom2png" {
				return // the trailing bytes are not a DICOM the decoder reads in full
			}
			if code, out, stderr := runCLI(t, tt.args...); code != exitOK || strings.Contains(out+stderr, "budget") {
				t.Errorf("default budget: exit %d:\n%s%s", code, out, stderr)
			}
		})
	}
	if code, _, stderr := runCLI(t, "serve", "--max-image-mb", "0"); code != exitUsage || !strings.Contains(stderr, "--max-image-mb") {
		t.Errorf("serve --max-image-mb 0: exit %d: %s", code, stderr)
	}
}
