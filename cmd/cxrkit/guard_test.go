package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOutputOverInputRefused: every command refuses, with exit 2 and one
// line naming both flags, an output that is, contains or is inside an
// input, and leaves the input untouched.
func TestOutputOverInputRefused(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	corpus := write("c.jsonl", `{"image_id":"a","source":"nih","split":"train","width":1,"height":1,"findings":[{"label":"no_finding","box_2d":null}]}`+"\n")
	cases := write("cases.jsonl", `{"case_id":"c1","image_id":"a","source":"nih","draft_text":"No acute findings.","corrupted_labels":[]}`+"\n")
	results := write("r.jsonl", `{"case_id":"c1","image_id":"a","audit":{},"error":null}`+"\n")
	bbox := write("nih/BBox_List_2017.csv", "Image Index,Finding Label,Bbox [x,y,w,h],,,\n")
	dcm := write("d/s.dcm", "x")
	iu := write("iu.csv", "uid,MeSH,Problems,image,indication,comparison,findings,impression\n")
	prompt := write("p.txt", "Read the draft.")
	contract := write("exp/contract.json", "{}")
	link := filepath.Join(dir, "link.jsonl")
	os.Symlink(corpus, link)
	wd, _ := os.Getwd()
	t.Cleanup(func() { os.Chdir(wd) })
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args  []string
		flags [2]string
	}{
		{[]string{"synth", "--corpus", corpus, "--out", corpus}, [2]string{"--out", "--corpus"}},
		{[]string{"synth", "--corpus", "c.jsonl", "--out", link}, [2]string{"--out", "--corpus"}},
		{[]string{"synth", "--corpus", "./d/../c.jsonl", "--out", "c.jsonl"}, [2]string{"--out", "--corpus"}},
		{[]string{"eval", "--cases", cases, "--pred", results, "--out", results}, [2]string{"--out", "--pred"}},
		{[]string{"eval", "--cases", cases, "--pred", results, "--markdown", cases}, [2]string{"--markdown", "--cases"}},
		{[]string{"audit", "--grounding", "gold", "--corpus", corpus, "--cases", cases, "--out", cases}, [2]string{"--out", "--cases"}},
		{[]string{"audit", "--grounding", "gold", "--corpus", corpus, "--cases", cases, "--out", corpus}, [2]string{"--out", "--corpus"}},
		{[]string{"eval", "--iu-reports", iu, "--draft-parser", "llm", "--draft-endpoint", "http://127.0.0.1:1/v1", "--draft-model", "m",
			"--prompt-draft", prompt, "--out", prompt}, [2]string{"--out", "--prompt-draft"}},
		{[]string{"audit", "--grounding", "gold", "--corpus", corpus, "--cases", cases, "--contract", filepath.Dir(contract),
			"--out", filepath.Join(filepath.Dir(contract), "r.jsonl")}, [2]string{"--out", "--contract"}},
		{[]string{"export", "--corpus", corpus, "--out", dir}, [2]string{"--out", "--corpus"}},
		{[]string{"prepare", "--nih-bbox", bbox, "--out", filepath.Join(dir, "nih")}, [2]string{"--out", "--nih-bbox"}},
		{[]string{"prepare", "--nih-images", filepath.Join(dir, "nih"), "--nih-bbox", bbox, "--out", filepath.Join(dir, "nih", "p")}, [2]string{"--out", "--nih-images"}},
		{[]string{"dicom2png", "--out", dcm, dcm}, [2]string{"--out", "input"}},
	}
	for _, tt := range tests {
		before, _ := os.ReadFile(tt.args[len(tt.args)-1])
		code, _, stderr := runCLI(t, tt.args...)
		if code != exitUsage {
			t.Errorf("%v: exit %d, want %d (stderr %q)", tt.args, code, exitUsage, stderr)
			continue
		}
		line := strings.TrimSpace(stderr)
		if strings.Contains(line, "\n") || !strings.Contains(line, tt.flags[0]) || !strings.Contains(line, tt.flags[1]) {
			t.Errorf("%v: stderr %q, want one line naming %s and %s", tt.args, stderr, tt.flags[0], tt.flags[1])
		}
		if after, _ := os.ReadFile(tt.args[len(tt.args)-1]); string(after) != string(before) {
			t.Errorf("%v: input changed", tt.args)
		}
	}
	for _, name := range []string{"p", "nih/p"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			t.Errorf("refused prepare created %s", name)
		}
	}
}

func TestDicom2PNGSameOutputNameRefused(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{"a/s.dcm", "b/s.dcm"} {
		os.MkdirAll(filepath.Join(dir, filepath.Dir(p)), 0o755)
		os.WriteFile(filepath.Join(dir, p), []byte("x"), 0o644)
	}
	out := filepath.Join(dir, "d")
	code, _, stderr := runCLI(t, "dicom2png", "--out-dir", out, filepath.Join(dir, "a/s.dcm"), filepath.Join(dir, "b/s.dcm"))
	if code != exitUsage || !strings.Contains(stderr, "would both be written to") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatalf("refused run created %s", out)
	}
}
