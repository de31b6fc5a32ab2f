package pipeline

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/dataset"
	"github.com/cxrkit/cxrkit/infer/fakevllm"
)

// quickstartIn writes a copy of configs/quickstart.yaml whose paths point
// at the repository and whose output goes to a temporary folder.
func quickstartIn(t *testing.T, edit func(string) string) (string, string) {
	t.Helper()
	data, err := os.ReadFile("../configs/quickstart.yaml")
	if err != nil {
		t.Fatal(err)
	}
	root, _ := filepath.Abs("..")
	out := t.TempDir()
	s := strings.ReplaceAll(string(data), "../testdata/", filepath.Join(root, "testdata")+"/")
	s = strings.Replace(s, "out: ../out/quickstart", "out: "+out, 1)
	if edit != nil {
		s = edit(s)
	}
	path := filepath.Join(t.TempDir(), "config.yaml")
	os.WriteFile(path, []byte(s), 0o644)
	return path, out
}

func TestLoadConfigErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct{ doc, want string }{
		{"out: x\nprepare:\n  vindrr: [a]\n", "line 3: prepare.vindrr: unknown key; did you mean vindr?"},
		{"stages: [prepare]\n", "out: the output folder is required"},
		{"out: x\nstages: [prepare, train]\n", `unknown stage "train"`},
		{"out: x\naudit:\n  grounding: crystal\n", `audit.grounding "crystal"`},
		{"out: x\naudit:\n  timeout: 60\n", `line 3: audit.timeout: want a Go duration such as 60s, got "60"`},
	}
	for _, tt := range tests {
		p := filepath.Join(dir, "c.yaml")
		os.WriteFile(p, []byte(tt.doc), 0o644)
		_, err := LoadConfig(p)
		if !errors.Is(err, cxrkit.ErrInvalidOptions) || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), p) {
			t.Errorf("%q: err %v, want %q", tt.doc, err, tt.want)
		}
	}
}

func TestQuickstartRunAndRerun(t *testing.T) {
	path, out := quickstartIn(t, nil)
	c, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	cmd := []string{"cxrkit", "run", path}
	s, err := Run(context.Background(), c, RunOptions{Log: &log, Command: cmd})
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	checkReportProvenance(t, c, out, cmd)
	if len(s.Stages) != 5 {
		t.Fatalf("stages %+v", s.Stages)
	}
	for _, st := range s.Stages {
		if st.Status != "ran" {
			t.Errorf("%s: %s", st.Stage, st.Status)
		}
		for _, o := range st.Outputs {
			if _, err := os.Stat(o); err != nil {
				t.Errorf("%s output %s: %v", st.Stage, o, err)
			}
		}
	}
	if !strings.Contains(s.Stages[4].Headline, "audit exact match 1.000") {
		t.Errorf("eval headline %q", s.Stages[4].Headline)
	}
	for _, f := range []string{"prepare/corpus.jsonl", "synth/cases.jsonl", "export/grounding/train-00000-of-00001.parquet", "audit/results.jsonl", "eval/image_report.html"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("missing %s", f)
		}
	}
	time.Sleep(10 * time.Millisecond)
	s, _ = Run(context.Background(), c, RunOptions{})
	for _, st := range s.Stages {
		if st.Status != "up to date" {
			t.Errorf("rerun: %s %s", st.Stage, st.Status)
		}
	}
	s, _ = Run(context.Background(), c, RunOptions{Force: true})
	if s.Stages[0].Status != "ran" {
		t.Errorf("force: %+v", s.Stages[0])
	}
}

func TestFailingStageStopsTheRun(t *testing.T) {
	// An annotation file that exists but cannot be read as one (a folder):
	// a missing one is refused before any stage runs (preflight_test.go).
	path, _ := quickstartIn(t, func(s string) string {
		return strings.Replace(s, "vindr/train.csv]", "nih/images]", 1)
	})
	c, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Run(context.Background(), c, RunOptions{})
	if err == nil || !strings.Contains(err.Error(), "stage prepare failed") || !strings.Contains(err.Error(), "nih/images") {
		t.Fatalf("err %v", err)
	}
	if len(s.Stages) != 1 || s.Stages[0].Status != "failed" {
		t.Fatalf("stages %+v", s.Stages)
	}
}

func TestModelGroundingPipeline(t *testing.T) {
	fake := fakevllm.New(fakevllm.Options{Responder: func(fakevllm.Request) string {
		return `[{"label": "cardiomegaly", "box_2d": [450, 300, 800, 750]}]`
	}})
	defer fake.Close()
	path, out := quickstartIn(t, func(s string) string {
		s = strings.Replace(s, "stages: [prepare, synth, export, audit, eval]", "stages: [prepare, synth, audit, eval]", 1)
		s = strings.Replace(s, "  grounding: gold", "  grounding: model\n  endpoints: ["+fake.APIURL()+"]\n  model: fake/medgemma-cxr\n  concurrency: 4\n  splits: [train, validation]", 1)
		// Only the six NIH images have files: keep just those.
		for _, drop := range []string{"  vindr:", "  vindr_meta:", "  vqa:", "  chestxdet:", "  nih_bbox:"} {
			i := strings.Index(s, drop)
			j := strings.Index(s[i:], "\n")
			s = s[:i] + s[i+j+1:]
		}
		return s
	})
	c, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Run(context.Background(), c, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(s.Stages[2].Headline, "grounding ok") || !strings.Contains(s.Stages[2].Headline, "0 errors") {
		t.Fatalf("audit headline %q", s.Stages[2].Headline)
	}
	results, _ := cxrkit.LoadJSONL[cxrkit.Result](filepath.Join(out, "audit", "results.jsonl"))
	if len(results) == 0 || results[0].Parse.Grounding != "ok" || fake.Calls() != 6 {
		t.Fatalf("%d results, %d model calls; want one call per image (6), the other cases answered from memory", len(results), fake.Calls())
	}
	if !strings.Contains(s.Stages[3].Headline, "grounding macro F1") || strings.Contains(s.Stages[3].Headline, "perfect by construction") {
		t.Fatalf("eval headline %q", s.Stages[3].Headline)
	}
}

func TestAuditSplitsFilterCases(t *testing.T) {
	path, out := quickstartIn(t, func(s string) string {
		s = strings.Replace(s, "stages: [prepare, synth, export, audit, eval]", "stages: [prepare, synth, audit]", 1)
		return strings.Replace(s, "  grounding: gold", "  grounding: gold\n  splits: [validation]", 1)
	})
	c, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Run(context.Background(), c, RunOptions{}); err != nil {
		t.Fatal(err)
	}
	cases, _ := cxrkit.LoadJSONL[cxrkit.Case](filepath.Join(out, "synth", "cases.jsonl"))
	results, _ := cxrkit.LoadJSONL[cxrkit.Result](filepath.Join(out, "audit", "results.jsonl"))
	want := map[string]bool{}
	for _, cs := range cases {
		if cs.Split == "validation" {
			want[cs.CaseID] = true
		}
	}
	if len(want) == 0 || len(want) == len(cases) {
		t.Fatalf("%d validation cases of %d: the fixture no longer tests filtering", len(want), len(cases))
	}
	if len(results) != len(want) {
		t.Fatalf("%d results, want the %d validation cases", len(results), len(want))
	}
	for _, r := range results {
		if !want[r.CaseID] {
			t.Errorf("case %s audited but not in validation", r.CaseID)
		}
	}
}

func TestRunRefusesOutOverInput(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	os.MkdirAll(data, 0o755)
	os.WriteFile(filepath.Join(data, "bbox.csv"), []byte("Image Index,Finding Label,Bbox [x,y,w,h],,,\n"), 0o644)
	cfg := filepath.Join(dir, "c.yaml")
	os.WriteFile(cfg, []byte("out: data\nstages: [prepare]\nprepare:\n  nih_bbox: [data/bbox.csv]\n"), 0o644)
	c, err := LoadConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Run(context.Background(), c, RunOptions{})
	if !errors.Is(err, cxrkit.ErrOutputOverlapsInput) || !strings.Contains(err.Error(), "contains prepare input") {
		t.Fatalf("err = %v", err)
	}
	if _, err := os.Stat(filepath.Join(data, "prepare")); !os.IsNotExist(err) {
		t.Fatal("refused run wrote into the input folder")
	}
}

// TestRunStopsOnPartialAuditAndResumes: an endpoint down for the first
// requests makes the audit stage partial; the run stops there with
// cxrkit.ErrPartial, the stage is not "up to date" on the rerun, and the
// rerun asks only the failed cases.
func TestRunStopsOnPartialAuditAndResumes(t *testing.T) {
	fake := fakevllm.New(fakevllm.Options{FailFirst: 3, Responder: func(fakevllm.Request) string {
		return `[{"label": "cardiomegaly", "box_2d": [450, 300, 800, 750]}]`
	}})
	defer fake.Close()
	path, out := quickstartIn(t, func(s string) string {
		s = strings.Replace(s, "stages: [prepare, synth, export, audit, eval]", "stages: [prepare, synth, audit, eval]", 1)
		s = strings.Replace(s, "  grounding: gold", "  grounding: model\n  endpoints: ["+fake.APIURL()+"]\n  model: fake/medgemma-cxr\n  concurrency: 1\n  retries: -1\n  splits: [train, validation]", 1)
		for _, drop := range []string{"  vindr:", "  vindr_meta:", "  vqa:", "  chestxdet:", "  nih_bbox:"} {
			i := strings.Index(s, drop)
			j := strings.Index(s[i:], "\n")
			s = s[:i] + s[i+j+1:]
		}
		return s
	})
	c, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Run(context.Background(), c, RunOptions{})
	if !errors.Is(err, cxrkit.ErrPartial) || s.Stages[len(s.Stages)-1].Stage != StageAudit || s.Stages[len(s.Stages)-1].Status != StatusPartial {
		t.Fatalf("first run: %v %+v", err, s.Stages)
	}
	if _, err := os.Stat(filepath.Join(out, "eval")); !os.IsNotExist(err) {
		t.Fatal("eval ran after a partial audit")
	}
	calls := fake.Calls()
	s, err = Run(context.Background(), c, RunOptions{})
	if err != nil {
		t.Fatalf("rerun: %v", err)
	}
	var st []string
	for _, r := range s.Stages {
		st = append(st, r.Stage+":"+string(r.Status))
	}
	// Cases of one image share a request, so the failed cases need at
	// most three new requests; every result is now good.
	if strings.Join(st, " ") != "prepare:up to date synth:up to date audit:ran eval:ran" || fake.Calls()-calls == 0 || fake.Calls()-calls > 3 {
		t.Fatalf("rerun stages %v, %d new calls (want the failed ones only)", st, fake.Calls()-calls)
	}
	err = cxrkit.ReadJSONLFile(filepath.Join(out, "audit", "results.jsonl"), func(line int, r *cxrkit.Result) error {
		if r.Error != nil {
			return errors.New(*r.Error)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestAuditProfileFollowsExport: without audit.profile or audit.contract
// the audit uses the contract of the run's export, else export.profile;
// explicit settings win and resolve from the config file's folder.
func TestAuditProfileFollowsExport(t *testing.T) {
	tests := []struct {
		doc                   string
		wantProfile, wantCont string
	}{
		{"stages: [prepare, synth, export, audit]\nexport:\n  profile: medgemma-native\n", "", "OUT/export"},
		{"stages: [prepare, synth, audit]\nexport:\n  profile: medgemma-native\n", "medgemma-native", ""},
		{"stages: [prepare, synth, audit]\nexport:\n  profile: p/mine.yaml\n", "DIR/p/mine.yaml", ""},
		{"stages: [prepare, synth, export, audit]\nexport:\n  profile: medgemma-native\naudit:\n  profile: cxrkit\n", "cxrkit", ""},
		{"stages: [prepare, synth, audit]\naudit:\n  contract: exported\n", "", "DIR/exported"},
	}
	for _, tt := range tests {
		dir := t.TempDir()
		path := filepath.Join(dir, "c.yaml")
		os.WriteFile(path, []byte("out: o\n"+tt.doc), 0o644)
		c, err := LoadConfig(path)
		if err != nil {
			t.Fatal(err)
		}
		p := paths{out: c.OutDir()}
		cfg := auditorConfigFor(c, p)
		expand := func(s string) string {
			s = strings.Replace(s, "OUT/", p.out+string(filepath.Separator), 1)
			return strings.Replace(s, "DIR/", dir+string(filepath.Separator), 1)
		}
		if cfg.Profile != filepath.FromSlash(expand(tt.wantProfile)) || cfg.Contract != filepath.FromSlash(expand(tt.wantCont)) {
			t.Errorf("%q: profile %q contract %q, want %q %q", tt.doc, cfg.Profile, cfg.Contract, expand(tt.wantProfile), expand(tt.wantCont))
		}
	}
}

// TestExportProfileFileFromConfigFolder: an export.profile file resolves
// from the config file's folder (not the working folder), and an out
// folder over it is refused.
func TestExportProfileFileFromConfigFolder(t *testing.T) {
	prompts, _ := filepath.Abs("../configs/prompts")
	data, err := os.ReadFile("../configs/profiles/medgemma-native.yaml")
	if err != nil {
		t.Fatal(err)
	}
	profile := strings.ReplaceAll(string(data), "prompts/", filepath.ToSlash(prompts)+"/")
	profile = strings.Replace(profile, "name: medgemma-native", "name: mine", 1)
	path, out := quickstartIn(t, func(s string) string {
		s = strings.Replace(s, "stages: [prepare, synth, export, audit, eval]", "stages: [prepare, synth, export]", 1)
		return strings.Replace(s, "export:\n", "export:\n  profile: profiles/mine.yaml\n", 1)
	})
	os.MkdirAll(filepath.Join(filepath.Dir(path), "profiles"), 0o755)
	os.WriteFile(filepath.Join(filepath.Dir(path), "profiles", "mine.yaml"), []byte(profile), 0o644)
	c, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Run(context.Background(), c, RunOptions{}); err != nil {
		t.Fatal(err)
	}
	contract, err := os.ReadFile(filepath.Join(out, "export", "contract.json"))
	if err != nil || !strings.Contains(string(contract), `"mine"`) {
		t.Fatalf("contract %s (%v): want profile mine", contract, err)
	}
	if !slices.Contains(exportInputs(c, paths{out: c.OutDir()}), filepath.Join(filepath.Dir(path), "profiles", "mine.yaml")) {
		t.Errorf("export inputs %v lack the profile file", exportInputs(c, paths{out: c.OutDir()}))
	}

	c.Out = "profiles"
	c.Stages = []string{StageExport}
	c.Prepare = dataset.Defaults()
	if _, err := Run(context.Background(), c, RunOptions{}); !errors.Is(err, cxrkit.ErrOutputOverlapsInput) || !strings.Contains(err.Error(), "export.profile") {
		t.Fatalf("out over the profile file: err %v", err)
	}
}

// TestTolerablePartialAuditIsRetried: audit errors within max_error_rate
// do not stop the run, but the stage is recorded partial, so the next run
// resumes it and retries the errored cases.
func TestTolerablePartialAuditIsRetried(t *testing.T) {
	fake := fakevllm.New(fakevllm.Options{FailFirst: 1, Responder: func(fakevllm.Request) string {
		return `[{"label": "cardiomegaly", "box_2d": [450, 300, 800, 750]}]`
	}})
	defer fake.Close()
	path, out := quickstartIn(t, func(s string) string {
		s = strings.Replace(s, "stages: [prepare, synth, export, audit, eval]", "stages: [prepare, synth, audit]", 1)
		s = strings.Replace(s, "  grounding: gold", "  grounding: model\n  endpoints: ["+fake.APIURL()+"]\n  model: fake/medgemma-cxr\n  concurrency: 1\n  retries: -1\n  max_error_rate: 0.9\n  splits: [train, validation]", 1)
		for _, drop := range []string{"  vindr:", "  vindr_meta:", "  vqa:", "  chestxdet:", "  nih_bbox:"} {
			i := strings.Index(s, drop)
			j := strings.Index(s[i:], "\n")
			s = s[:i] + s[i+j+1:]
		}
		return s
	})
	c, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Run(context.Background(), c, RunOptions{})
	if err != nil || len(s.Stages) != 3 || s.Stages[2].Status != StatusPartial {
		t.Fatalf("first run: %v %+v", err, s.Stages)
	}
	if st := readStatus(out); st[StageAudit] != StatusPartial {
		t.Fatalf("status file %v: want audit partial", st)
	}
	calls := fake.Calls()
	s, err = Run(context.Background(), c, RunOptions{})
	if err != nil || s.Stages[2].Status != StatusRan || fake.Calls() == calls {
		t.Fatalf("rerun: %v %+v, %d new calls; want the errored cases retried", err, s.Stages, fake.Calls()-calls)
	}
	if st := readStatus(out); st[StageAudit] != StatusRan {
		t.Fatalf("status file %v after the retry: want audit ran", st)
	}
}

// checkReportProvenance: each eval report of a run, in all three formats,
// records the version, the command line, the inputs with sha256 and rows,
// the splits, the seed and the date, beside the disclaimer.
func checkReportProvenance(t *testing.T, c *Config, out string, cmd []string) {
	t.Helper()
	inputs := map[string][]string{
		"audit_report": {"config", "synth/cases.jsonl", "audit/results.jsonl"},
		"image_report": {"config", "synth/cases.jsonl", "audit/results.jsonl", "prepare/corpus.jsonl"},
	}
	for name, files := range inputs {
		var rep struct {
			Provenance *cxrkit.Provenance `json:"provenance"`
		}
		data, err := os.ReadFile(filepath.Join(out, "eval", name+".json"))
		if err != nil || json.Unmarshal(data, &rep) != nil || rep.Provenance == nil {
			t.Fatalf("%s.json: no provenance (%v)", name, err)
		}
		p := rep.Provenance
		if strings.Join(p.Command, " ") != strings.Join(cmd, " ") || p.Version != cxrkit.VersionString() || p.Seed != c.Eval.Seed ||
			!slices.Equal(p.Splits, c.Audit.Splits) || time.Since(p.Date) > time.Minute || len(p.Inputs) != len(files) {
			t.Fatalf("%s: provenance %+v", name, p)
		}
		cfg, _ := os.ReadFile(c.path)
		cfgSum := sha256.Sum256(cfg)
		if len(p.Inputs) != len(files) || p.Inputs[0].Flag != "config" || p.Inputs[0].Path != c.path || p.Inputs[0].SHA256 != hex.EncodeToString(cfgSum[:]) {
			t.Fatalf("%s: inputs %+v: want the config first", name, p.Inputs)
		}
		for i, f := range files[1:] {
			i++
			path := filepath.Join(out, f)
			data, _ := os.ReadFile(path)
			sum := sha256.Sum256(data)
			rows := strings.Count(strings.TrimSpace(string(data)), "\n") + 1
			if in := p.Inputs[i]; in.Path != path || in.SHA256 != hex.EncodeToString(sum[:]) || in.Rows != rows {
				t.Errorf("%s: input %+v, want %s with %d rows", name, in, path, rows)
			}
		}
		for _, ext := range []string{".json", ".md", ".html"} {
			data, _ := os.ReadFile(filepath.Join(out, "eval", name+ext))
			want := []string{cxrkit.Disclaimer, p.Version, p.Date.Format(time.RFC3339), p.Inputs[0].SHA256, p.Inputs[len(p.Inputs)-1].Path}
			if ext != ".json" {
				want = append(want, p.CommandLine(), "seed", p.SplitsText())
			}
			for _, w := range want {
				if !strings.Contains(string(data), w) {
					t.Errorf("%s%s lacks %q", name, ext, w)
				}
			}
		}
	}
}

// TestEvalAfterTolerablePartialAudit: a run whose audit errs within
// max_error_rate goes on to eval, which counts the errored results as
// failures (never as agreement, never as a conflict with the image's
// other, successful cases); the rerun retries them and eval scores the
// complete results.
func TestEvalAfterTolerablePartialAudit(t *testing.T) {
	fake := fakevllm.New(fakevllm.Options{FailFirst: 1, Responder: func(fakevllm.Request) string {
		return `[{"label": "cardiomegaly", "box_2d": [450, 300, 800, 750]}]`
	}})
	defer fake.Close()
	path, out := quickstartIn(t, func(s string) string {
		s = strings.Replace(s, "stages: [prepare, synth, export, audit, eval]", "stages: [prepare, synth, audit, eval]", 1)
		s = strings.Replace(s, "  grounding: gold", "  grounding: model\n  endpoints: ["+fake.APIURL()+"]\n  model: fake/medgemma-cxr\n  concurrency: 1\n  retries: -1\n  max_error_rate: 0.9\n  splits: [train, validation]", 1)
		for _, drop := range []string{"  vindr:", "  vindr_meta:", "  vqa:", "  chestxdet:", "  nih_bbox:"} {
			i := strings.Index(s, drop)
			j := strings.Index(s[i:], "\n")
			s = s[:i] + s[i+j+1:]
		}
		return s
	})
	c, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	type auditReport struct {
		Cases      int `json:"n_cases"`
		Errors     int `json:"results_with_error"`
		ExactMatch struct {
			All struct {
				Correct int `json:"correct"`
			} `json:"all"`
		} `json:"exact_match"`
	}
	type imageReport struct {
		NImages       int `json:"n_images"`
		ParseFailures int `json:"parse_failures"`
	}
	read := func(name string, v any) {
		t.Helper()
		data, err := os.ReadFile(filepath.Join(out, "eval", name))
		if err != nil || json.Unmarshal(data, v) != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	s, err := Run(context.Background(), c, RunOptions{})
	if err != nil || len(s.Stages) != 4 || s.Stages[2].Status != StatusPartial || s.Stages[3].Status != StatusRan {
		t.Fatalf("first run: %v %+v", err, s.Stages)
	}
	var ar auditReport
	var ir imageReport
	read("audit_report.json", &ar)
	read("image_report.json", &ir)
	errored := 0
	cxrkit.ReadJSONLFile(filepath.Join(out, "audit", "results.jsonl"), func(_ int, r *cxrkit.Result) error {
		if r.Error != nil {
			errored++
		}
		return nil
	})
	// The errored case fails in the audit report; its image was read in
	// the image's other cases, so the image report has its grounding.
	if errored == 0 || ar.Cases != 33 || ar.Errors != errored || ar.ExactMatch.All.Correct > ar.Cases-errored || ir.NImages != 6 || ir.ParseFailures != 0 {
		t.Fatalf("first run: %d errored results; audit report %+v, image report %+v: want the errored counted as failures", errored, ar, ir)
	}
	s, err = Run(context.Background(), c, RunOptions{})
	if err != nil || s.Stages[2].Status != StatusRan || s.Stages[3].Status != StatusRan {
		t.Fatalf("rerun: %v %+v", err, s.Stages)
	}
	read("audit_report.json", &ar)
	read("image_report.json", &ir)
	if ar.Errors != 0 || ir.ParseFailures != 0 {
		t.Fatalf("rerun: audit report %+v, image report %+v: want no failures left", ar, ir)
	}
}
