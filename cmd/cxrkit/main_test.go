package main

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/png"
	"os"
	"strings"
	"testing"
)

// cxrkit runs the CLI in-process and returns exit code, stdout and stderr.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), append([]string{"cxrkit"}, args...), strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func TestExitCodes(t *testing.T) {
	tests := []struct {
		args    []string
		code    int
		errPart string
	}{
		{[]string{"--version"}, exitOK, ""},
		{[]string{"--help"}, exitOK, ""},
		{[]string{"labels"}, exitOK, ""},
		{[]string{"nope"}, exitUsage, `unknown command "nope"`},
		{[]string{"labels", "--bogus"}, exitUsage, "unknown flag --bogus"},
		{[]string{"labels", "extra", "--json"}, exitUsage, `unexpected argument "extra"`},
		{[]string{"labels", "--labelmap", "/does/not/exist.yaml"}, exitUsage, "--labelmap /does/not/exist.yaml: no such file or directory"},
	}
	for _, tt := range tests {
		code, _, stderr := runCLI(t, tt.args...)
		if code != tt.code {
			t.Errorf("%v: exit %d, want %d (stderr %q)", tt.args, code, tt.code, stderr)
		}
		if tt.errPart != "" {
			if !strings.Contains(stderr, tt.errPart) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
				t.Errorf("%v: stderr %q, want one line containing %q", tt.args, stderr, tt.errPart)
			}
		}
	}
}

func TestLabelsJSON(t *testing.T) {
	code, out, _ := runCLI(t, "labels", "--json")
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	var got struct {
		Labels []struct {
			Label, Display string
			Urgent         bool
		}
		Urgent      []string
		Specificity []string
		Sources     map[string][]struct {
			Native string
			Label  *string
		}
		Disclaimer string
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Labels) != 6 || got.Labels[0].Label != "pleural_effusion" || got.Labels[5].Label != "no_finding" {
		t.Fatalf("labels = %+v", got.Labels)
	}
	for _, s := range []string{"vindr", "nih", "chestxdet"} {
		if len(got.Sources[s]) == 0 {
			t.Errorf("source %s missing", s)
		}
	}
	if !strings.Contains(got.Disclaimer, "not a medical device") {
		t.Error("no disclaimer")
	}
	dropped := 0
	for _, e := range got.Sources["vindr"] {
		if e.Label == nil {
			dropped++
		}
	}
	if dropped < 7 {
		t.Errorf("vindr dropped %d labels, want the 7 SPEC ones at least", dropped)
	}
}

func TestLabelsTableHasDisclaimer(t *testing.T) {
	_, out, _ := runCLI(t, "labels")
	for _, want := range []string{"Lung opacity / consolidation", "source vindr", "Nodule/Mass", "not a medical device"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q", want)
		}
	}
}

func TestDicom2PNGUsage(t *testing.T) {
	for _, args := range [][]string{
		{"dicom2png"},
		{"dicom2png", "--bits", "12", "--out", "x.png", "a.dcm"},
		{"dicom2png", "--out", "x.png", "a.dcm", "b.dcm"},
		{"dicom2png", "a.dcm"},
	} {
		if code, _, stderr := runCLI(t, args...); code != exitUsage {
			t.Errorf("%v: exit %d (%s), want usage error", args, code, stderr)
		}
	}
	dir := t.TempDir()
	bad := dir + "/bad.dcm"
	os.WriteFile(bad, []byte("not a dicom"), 0o644)
	code, _, stderr := runCLI(t, "dicom2png", "--out", dir+"/x.png", bad)
	if code != exitFailure || !strings.Contains(stderr, "bad.dcm") {
		t.Errorf("bad input: exit %d, stderr %q", code, stderr)
	}
	if _, err := os.Stat(dir + "/x.png"); !os.IsNotExist(err) {
		t.Error("failed conversion left an output file")
	}
}

func TestDicom2PNGConverts(t *testing.T) {
	out := t.TempDir() + "/x.png"
	code, _, stderr := runCLI(t, "dicom2png", "--bits", "16", "--out", out, "../../imaging/testdata/mono1_12bit.dcm")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if g, ok := img.(*image.Gray16); !ok || g.Bounds().Dx() != 64 || g.Gray16At(0, 0).Y != 65535 {
		t.Fatalf("got %T %v", img, img.Bounds())
	}
}
