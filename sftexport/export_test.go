package sftexport

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/boxes"
	"github.com/cxrkit/cxrkit/labelmap"
	"github.com/parquet-go/parquet-go"
)

// fixture writes n PNG images (alternating 16-bit grey and 8-bit RGB)
// and a corpus over them, and returns the corpus path.
func fixture(t testing.TB, n int, side int) string {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "images"), 0o755)
	var corpus bytes.Buffer
	enc := cxrkit.NewJSONLEncoder(&corpus)
	for i := range n {
		var img image.Image
		if i%2 == 0 {
			g := image.NewGray16(image.Rect(0, 0, side, side*3/4))
			x := uint32(i + 1)
			for k := range g.Pix {
				x ^= x << 13
				x ^= x >> 17
				x ^= x << 5 // xorshift noise: payloads as large as real radiographs
				g.Pix[k] = uint8(k*31+i) ^ uint8(x&7)
			}
			img = g
		} else {
			c := image.NewRGBA(image.Rect(0, 0, side*3/4, side))
			for k := range c.Pix {
				c.Pix[k] = uint8(k*17 + i)
			}
			img = c
		}
		name := fmt.Sprintf("img%05d.png", i)
		f, _ := os.Create(filepath.Join(dir, "images", name))
		png.Encode(f, img)
		f.Close()
		split := []cxrkit.Split{"train", "train", "validation"}[i%3]
		r := cxrkit.Record{ImageID: fmt.Sprintf("img%05d", i), Source: "nih", Split: split, ImagePath: "images/" + name,
			Findings: cxrkit.NoFindingList()}
		if i%2 == 1 {
			r.Findings = []cxrkit.Finding{{Label: labelmap.Cardiomegaly, Box: &boxes.Box{Y0: 0.41234, X0: 0.3, Y1: 0.8, X1: 0.70001}}, {Label: labelmap.PleuralEffusion}}
		}
		enc.Encode(r)
	}
	path := filepath.Join(dir, "corpus.jsonl")
	os.WriteFile(path, corpus.Bytes(), 0o644)
	return path
}

func readRows(t *testing.T, path string) []Row {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := parquet.NewGenericReader[Row](f)
	rows := make([]Row, r.NumRows())
	n, err := r.Read(rows)
	if err != nil && !errors.Is(err, io.EOF) || n != len(rows) {
		t.Fatalf("read %d of %d rows: %v", n, len(rows), err)
	}
	return rows
}

func TestExportRoundTrip(t *testing.T) {
	corpus := fixture(t, 7, 64)
	out := t.TempDir()
	s, err := Export(context.Background(), Options{Corpus: corpus, Out: out, Verify: true, ShardRows: 2})
	if err != nil {
		t.Fatal(err)
	}
	// 7 images: train 5 (0,1,3,4,6), validation 2 (2,5); shards of 2 rows.
	wantShards := []string{"train-00000-of-00003.parquet", "train-00001-of-00003.parquet", "train-00002-of-00003.parquet",
		"validation-00000-of-00001.parquet"}
	var got []string
	for _, p := range s.Shards[TaskGrounding] {
		got = append(got, filepath.Base(p))
	}
	if strings.Join(got, ",") != strings.Join(wantShards, ",") || s.Verified.Rows != 7 || s.Verified.ImagesDecoded != 7 {
		t.Fatalf("shards %v, verified %+v", got, s.Verified)
	}
	rows := readRows(t, filepath.Join(out, "grounding", "train-00000-of-00003.parquet"))
	orig, _ := os.ReadFile(filepath.Join(filepath.Dir(corpus), "images", "img00001.png"))
	r0 := rows[0]
	if !bytes.Equal(rows[1].Images[0].Bytes, orig) || *rows[1].Images[0].Path != "img00001.png" {
		t.Fatal("8-bit image bytes not byte-exact without --resize")
	}
	// The 16-bit source is windowed down to 8 bits by default.
	if img, err := png.Decode(bytes.NewReader(r0.Images[0].Bytes)); err != nil {
		t.Fatal(err)
	} else if _, ok := img.(*image.Gray); !ok || s.Windowed != 4 {
		t.Fatalf("16-bit image exported as %T, %d windowed; want 8-bit grey, 4 windowed", img, s.Windowed)
	}
	if len(r0.Messages) != 2 || *r0.Messages[0].Role != "user" || *r0.Messages[0].Content[0].Type != "image" || r0.Messages[0].Content[0].Text != nil {
		t.Fatalf("user turn %+v", r0.Messages[0])
	}
	if *r0.Messages[1].Content[0].Text != `[{"label":"no_finding","box_2d":null}]` {
		t.Fatalf("normal target %q", *r0.Messages[1].Content[0].Text)
	}
	if got := *rows[1].Messages[1].Content[0].Text; got != `[{"label":"pleural_effusion","box_2d":null},{"label":"cardiomegaly","box_2d":[0.412,0.3,0.8,0.7]}]` {
		t.Fatalf("target %q: canonical order, 3 decimals", got)
	}
	if !strings.Contains(*r0.Messages[0].Content[1].Text, "box_2d") || *r0.Task != string(TaskGrounding) || *r0.Source != "nih" {
		t.Fatalf("row %+v", r0)
	}
	card, _ := os.ReadFile(filepath.Join(out, "README.md"))
	for _, want := range []string{"config_name: grounding", "path: grounding/train-*.parquet", "list: image", "num_examples: 5", "not a medical device", s.Prompts["grounding"], "NIH ChestX-ray14", "HAI-DEF"} {
		if !strings.Contains(string(card), want) {
			t.Errorf("card lacks %q", want)
		}
	}
	// A second export with fewer shards removes the stale ones.
	if _, err := Export(context.Background(), Options{Corpus: corpus, Out: out}); err != nil {
		t.Fatal(err)
	}
	left, _ := filepath.Glob(filepath.Join(out, "grounding", "*.parquet"))
	if len(left) != 2 {
		t.Fatalf("after re-export: %v", left)
	}
}

func TestHuggingFaceMetadata(t *testing.T) {
	out := t.TempDir()
	if _, err := Export(context.Background(), Options{Corpus: fixture(t, 2, 32), Out: out}); err != nil {
		t.Fatal(err)
	}
	f, _ := os.Open(filepath.Join(out, "grounding", "train-00000-of-00001.parquet"))
	defer f.Close()
	st, _ := f.Stat()
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	v, ok := pf.Lookup("huggingface")
	if !ok {
		t.Fatal("no huggingface metadata")
	}
	var meta struct {
		Info struct {
			Features map[string]any `json:"features"`
		} `json:"info"`
	}
	if err := json.Unmarshal([]byte(v), &meta); err != nil {
		t.Fatal(err)
	}
	img, _ := json.Marshal(meta.Info.Features["images"])
	msg, _ := json.Marshal(meta.Info.Features["messages"])
	if string(img) != `[{"_type":"Image"}]` || !strings.Contains(string(msg), `"role"`) || meta.Info.Features["task"] == nil {
		t.Fatalf("features %s %s", img, msg)
	}
	if !strings.HasPrefix(v, `{"info":{"features":{"images":`) || strings.Index(v, `"role"`) > strings.Index(v, `"content"`) {
		t.Fatalf("feature order: %s", v)
	}
}

func TestResizeHandlesDepthsAndColour(t *testing.T) {
	out := t.TempDir()
	s, err := Export(context.Background(), Options{Corpus: fixture(t, 4, 200), Out: out, Resize: 50, Verify: true, Keep16Bit: true})
	if err != nil {
		t.Fatal(err)
	}
	if s.Resized != 4 {
		t.Fatalf("resized %d", s.Resized)
	}
	rows := readRows(t, filepath.Join(out, "grounding", "train-00000-of-00001.parquet"))
	for i, r := range rows {
		img, err := png.Decode(bytes.NewReader(r.Images[0].Bytes))
		if err != nil {
			t.Fatal(err)
		}
		b := img.Bounds()
		if max(b.Dx(), b.Dy()) != 50 {
			t.Fatalf("row %d: %v", i, b)
		}
		if i == 0 {
			if _, ok := img.(*image.Gray16); !ok {
				t.Fatalf("16-bit grey became %T", img)
			}
		}
	}
}

func TestMissingImages(t *testing.T) {
	corpus := fixture(t, 5, 16)
	os.Remove(filepath.Join(filepath.Dir(corpus), "images", "img00001.png"))
	os.WriteFile(filepath.Join(filepath.Dir(corpus), "images", "img00003.png"), []byte("not an image"), 0o644)
	out := t.TempDir()
	_, err := Export(context.Background(), Options{Corpus: corpus, Out: out})
	if !errors.Is(err, ErrImages) || !strings.Contains(err.Error(), "img00001") || !strings.Contains(err.Error(), "img00003") {
		t.Fatalf("err = %v, want the full list", err)
	}
	if left, _ := filepath.Glob(filepath.Join(out, "*", "*")); len(left) != 0 {
		t.Fatalf("failed export left %v", left)
	}
	s, err := Export(context.Background(), Options{Corpus: corpus, Out: out, SkipMissing: true, Verify: true})
	if err != nil || len(s.Skipped) != 2 || s.Verified.Rows != 3 {
		t.Fatalf("skip-missing: %v, skipped %v", err, s.Skipped)
	}
}

func TestDraftParseTask(t *testing.T) {
	dir := t.TempDir()
	cases := filepath.Join(dir, "cases.jsonl")
	var b bytes.Buffer
	enc := cxrkit.NewJSONLEncoder(&b)
	for i, split := range []cxrkit.Split{"train", "train", "validation"} {
		enc.Encode(cxrkit.Case{CaseID: fmt.Sprint(i), ImageID: "x", Source: "vindr", Split: split, DraftText: "No pneumothorax. Small right pleural effusion.",
			DraftFindings: []cxrkit.DraftFinding{{Label: labelmap.Pneumothorax, Status: cxrkit.Absent, Span: "No pneumothorax"},
				{Label: labelmap.PleuralEffusion, Status: cxrkit.Present, Span: "Small right pleural effusion"}}})
	}
	os.WriteFile(cases, b.Bytes(), 0o644)
	out := filepath.Join(dir, "out")
	s, err := Export(context.Background(), Options{Cases: cases, Out: out, Verify: true})
	if err != nil {
		t.Fatal(err)
	}
	if s.Rows[TaskDraftParse]["train"] != 2 || s.Verified.Rows != 3 {
		t.Fatalf("rows %v", s.Rows)
	}
	rows := readRows(t, filepath.Join(out, "draft_parse", "train-00000-of-00001.parquet"))
	r := rows[0]
	if len(r.Images) != 0 || len(r.Messages[0].Content) != 1 || !strings.Contains(*r.Messages[0].Content[0].Text, "Small right pleural effusion.") {
		t.Fatalf("draft row %+v", r)
	}
	if got := *r.Messages[1].Content[0].Text; got != `[{"label":"pleural_effusion","status":"present","span":"Small right pleural effusion"},{"label":"pneumothorax","status":"absent","span":"No pneumothorax"}]` {
		t.Fatalf("draft target %s", got)
	}
}

func TestExportOptionErrors(t *testing.T) {
	for _, o := range []Options{{}, {Out: "x"}, {Out: "x", Tasks: []Task{"grounding"}}, {Out: "x", Corpus: "c", Tasks: []Task{"vqa"}}} {
		if _, err := Export(context.Background(), o); !errors.Is(err, cxrkit.ErrInvalidOptions) {
			t.Errorf("%+v: err %v", o, err)
		}
	}
}

func TestRealNIHImagesExportAndVerify(t *testing.T) {
	files, _ := filepath.Glob("../../shared/realdata/nih-images/*.png")
	if len(files) == 0 {
		t.Skip("real NIH images not found")
	}
	dir := t.TempDir()
	corpus := realCorpus(t, files)
	s, err := Export(context.Background(), Options{Corpus: corpus, Out: filepath.Join(dir, "out"), Resize: 896, Verify: true})
	if err != nil {
		t.Fatal(err)
	}
	if s.Verified.ImagesDecoded != len(files) || s.Resized != len(files) {
		t.Fatalf("%+v", s.Verified)
	}
}

func realCorpus(t testing.TB, files []string) string {
	var b bytes.Buffer
	enc := cxrkit.NewJSONLEncoder(&b)
	for _, f := range files {
		abs, _ := filepath.Abs(f)
		id := strings.TrimSuffix(filepath.Base(f), ".png")
		enc.Encode(cxrkit.Record{ImageID: id, Source: "nih", Split: "train", ImagePath: abs, Findings: cxrkit.NoFindingList()})
	}
	corpus := filepath.Join(t.TempDir(), "corpus.jsonl")
	os.WriteFile(corpus, b.Bytes(), 0o644)
	return corpus
}

// TestKilledExportLeavesNoCompleteShard kills an export with SIGKILL in
// the middle of replacing an earlier export: the earlier export is left
// whole, no new shard has a final name, and the next run removes the
// leftovers.
func TestKilledExportLeavesNoCompleteShard(t *testing.T) {
	if os.Getenv("CXRKIT_EXPORT_CHILD") != "" {
		return
	}
	out := t.TempDir()
	corpus := fixture(t, 40, 64)
	oldCorpus := fixture(t, 3, 16)
	if _, err := Export(context.Background(), Options{Corpus: oldCorpus, Out: out}); err != nil {
		t.Fatal(err)
	}
	oldCard, _ := os.ReadFile(filepath.Join(out, "README.md"))
	oldShards, _ := filepath.Glob(filepath.Join(out, "*", "*-of-*.parquet"))
	cmd := exec.Command(os.Args[0], "-test.run=^TestExportChild$")
	cmd.Env = append(os.Environ(), "CXRKIT_EXPORT_CHILD="+out, "CXRKIT_EXPORT_CORPUS="+corpus)
	stdout, _ := cmd.StdoutPipe()
	cmd.Start()
	sc := bufio.NewScanner(stdout)
	ready := make(chan bool, 1)
	go func() {
		for sc.Scan() {
			if strings.Contains(sc.Text(), "HALFWAY") {
				ready <- true
				return
			}
		}
		ready <- false
	}()
	select {
	case ok := <-ready:
		if !ok {
			t.Fatal("child ended early")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("child never got halfway")
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	final, _ := filepath.Glob(filepath.Join(out, "*", "*-of-*.parquet"))
	card, _ := os.ReadFile(filepath.Join(out, "README.md"))
	// The new export is built beside out, to replace it whole.
	tmp, _ := filepath.Glob(filepath.Join(filepath.Dir(out), "."+filepath.Base(out)+".cxrkit-export-*", "*", ".*.tmp"))
	if strings.Join(final, ",") != strings.Join(oldShards, ",") || !bytes.Equal(card, oldCard) || len(tmp) == 0 {
		t.Fatalf("after kill: final %v (old %v), card changed %v, tmp %v", final, oldShards, !bytes.Equal(card, oldCard), tmp)
	}
	for _, p := range final {
		if rows := readRows(t, p); len(rows) == 0 || *rows[0].ImageID != "img00000" && *rows[0].ImageID != "img00002" {
			t.Fatalf("%s is not the old export", p)
		}
	}
	if _, err := Export(context.Background(), Options{Corpus: oldCorpus, Out: out}); err != nil {
		t.Fatal(err)
	}
	left, _ := filepath.Glob(filepath.Join(out, ".*"))
	beside, _ := filepath.Glob(filepath.Join(filepath.Dir(out), "."+filepath.Base(out)+".cxrkit-export-*"))
	if len(left)+len(beside) != 0 {
		t.Fatalf("next run left %v %v", left, beside)
	}
}

func TestExportRefusesForeignFolder(t *testing.T) {
	corpus := fixture(t, 2, 16)
	out := t.TempDir()
	os.WriteFile(filepath.Join(out, "README.md"), []byte("# my project\n"), 0o644)
	_, err := Export(context.Background(), Options{Corpus: corpus, Out: out})
	if !errors.Is(err, ErrForeignFiles) || !errors.Is(err, cxrkit.ErrInvalidOptions) || !strings.Contains(err.Error(), "README.md") || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("err = %v", err)
	}
	if data, _ := os.ReadFile(filepath.Join(out, "README.md")); string(data) != "# my project\n" {
		t.Fatal("refused export changed the README")
	}
	if left, _ := os.ReadDir(out); len(left) != 1 {
		t.Fatalf("refused export wrote %v", left)
	}
	os.WriteFile(filepath.Join(out, "notes.txt"), []byte("mine"), 0o644)
	if _, err := Export(context.Background(), Options{Corpus: corpus, Out: out, Force: true}); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(filepath.Join(out, "notes.txt")); string(data) != "mine" {
		t.Fatal("--force removed a file export did not write")
	}
	// Its own earlier export is not foreign.
	os.Remove(filepath.Join(out, "notes.txt"))
	if _, err := Export(context.Background(), Options{Corpus: corpus, Out: out}); err != nil {
		t.Fatalf("re-export over its own output: %v", err)
	}
}

func TestExportChild(t *testing.T) {
	out := os.Getenv("CXRKIT_EXPORT_CHILD")
	if out == "" {
		t.Skip("child process of TestKilledExportLeavesNoCompleteShard")
	}
	Export(context.Background(), Options{Corpus: os.Getenv("CXRKIT_EXPORT_CORPUS"), Out: out, ShardRows: 5, Workers: 1,
		Progress: func(_ string, done, total int) {
			if done == total/2 {
				fmt.Println("HALFWAY")
				time.Sleep(time.Hour)
			}
		}})
}

// Tasks are a closed set: ParseTask takes each and refuses anything else
// naming the valid ones, as an invalid option.
func TestParseTask(t *testing.T) {
	for _, want := range Tasks() {
		if got, err := ParseTask(string(want)); err != nil || got != want {
			t.Errorf("ParseTask(%q) = %q, %v", want, got, err)
		}
	}
	for _, bad := range []string{"", "vqa", "Grounding", "draft-parse"} {
		_, err := ParseTask(bad)
		if !errors.Is(err, cxrkit.ErrInvalidOptions) || !strings.Contains(fmt.Sprint(err), "want grounding, draft_parse") {
			t.Errorf("ParseTask(%q): %v, want an invalid option listing the tasks", bad, err)
		}
	}
	if got, err := ParseTasks([]string{"draft_parse", "grounding"}); err != nil || len(got) != 2 || got[0] != TaskDraftParse {
		t.Errorf("ParseTasks: %v, %v", got, err)
	}
}
