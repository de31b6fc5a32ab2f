package dataset

import (
	"bytes"
	"context"
	"encoding/json"
	"image/color"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/boxes"
	"github.com/cxrkit/cxrkit/labelmap"
)

// defaultVocab is the default label map, parsed once per test process: a
// fuzz target builds a preparer for every input, and parsing the YAML
// each time was most of an execution.
var defaultVocab = sync.OnceValues(labelmap.Default)

func testPreparer(t *testing.T) (*preparer, *bytes.Buffer) {
	vocab, err := defaultVocab()
	if err != nil {
		t.Fatal(err)
	}
	var rejects bytes.Buffer
	p := &preparer{ctx: context.Background(), opts: Defaults(), vocab: vocab, images: newImages(),
		inputs: map[string]*SourceStats{}}
	p.images.putMeta(cxrkit.SourceVinDr, []byte("a"), Size{Width: 100, Height: 100})
	p.images.putMeta(cxrkit.SourceVinDr, []byte("b"), Size{Width: 2000, Height: 1000})
	p.rejects = newRejectSink(&rejects)
	return p, &rejects
}

// checkAccounting asserts that every row read is kept, dropped or
// rejected, that each reject is one line of valid JSON naming the file,
// and that assembling every image never panics or writes a bad box.
func checkAccounting(t *testing.T, p *preparer, rejects *bytes.Buffer, path string) {
	t.Helper()
	n := 0
	for _, s := range p.inputs {
		if !s.Balanced() {
			t.Fatalf("identity broken: %+v", s)
		}
		n += s.RowsRejected
	}
	lines := strings.Split(strings.TrimSpace(rejects.String()), "\n")
	if rejects.Len() == 0 {
		lines = nil
	}
	if len(lines) != n {
		t.Fatalf("%d reject lines for %d rejected rows", len(lines), n)
	}
	for _, l := range lines {
		var r Reject
		if err := json.Unmarshal([]byte(l), &r); err != nil || r.File != path || r.Line < 1 || r.Reason == "" {
			t.Fatalf("bad reject %q: %v", l, err)
		}
	}
	for _, a := range p.images.all() {
		var bc boxCounts
		fs, _ := p.assemble(a, &bc)
		for _, f := range fs {
			if f.Box != nil && (!f.Box.Normalized() || f.Box.Area() == 0) {
				t.Fatalf("bad box %v", f.Box)
			}
			if !f.Label.Valid() || (f.Label == labelmap.NoFinding && len(fs) != 1) {
				t.Fatalf("bad findings %+v", fs)
			}
		}
	}
}

func fuzzFile(t *testing.T, name string, data []byte) string {
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func seedFile(f *testing.F, name string) {
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
}

func FuzzVinDrCSV(f *testing.F) {
	seedFile(f, "vindr_train.csv")
	seedFile(f, "vindr_physionet.csv")
	seedFile(f, "vindr_image_labels.csv")
	f.Add([]byte("image_id,class_name,rad_id,x_min,y_min,x_max,y_max\na,Cardiomegaly,R1,1,2,3\nb,\"Lung Opacity\",R1,\"1\",2,3,4\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, rej := testPreparer(t)
		path := fuzzFile(t, "v.csv", data)
		if err := p.readFile(vindrAnnotations{size: p.vindrBoxSize}, path); err != nil {
			if !strings.Contains(err.Error(), path) {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		checkAccounting(t, p, rej, path)
	})
}

func FuzzNIHBoxes(f *testing.F) {
	seedFile(f, "nih_bbox.csv")
	f.Add([]byte("Image Index,Finding Label,Bbox [x,y,w,h],,,\nx.png,Mass,1,2,3\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, rej := testPreparer(t)
		path := fuzzFile(t, "b.csv", data)
		if err := p.readFile(nihBoxList{size: pngSize(nil, nihPNGSize)}, path); err != nil {
			if !strings.Contains(err.Error(), path) {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		checkAccounting(t, p, rej, path)
	})
}

func FuzzNIHEntries(f *testing.F) {
	seedFile(f, "nih_entries.csv")
	seedFile(f, "nih_entries_v2020.csv")
	seedFile(f, "nih_sample_labels.csv")
	f.Fuzz(func(t *testing.T, data []byte) {
		p, rej := testPreparer(t)
		path := fuzzFile(t, "e.csv", data)
		if err := p.readFile(nihDataEntry{}, path); err != nil {
			if !strings.Contains(err.Error(), path) {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		checkAccounting(t, p, rej, path)
	})
}

// fuzzInput writes one fuzz input to path, a file in a folder made once
// per fuzz target (executions in one process run one at a time): making
// and removing a temporary folder for every input cost more than reading
// it and, while a new input was minimized (thousands of executions that
// report only at the end), showed as minutes at 0 execs/s under load.
func fuzzInput(t *testing.T, path string, data []byte) string {
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// FuzzChestXDetJSON's seeds are short on purpose: the fuzzer minimizes
// every new input, quadratic in its length, for up to -fuzzminimizetime
// (60 s) while no other input runs, so inputs grown from the 2.8 KB
// fixture showed as minutes at 0 execs/s.
func FuzzChestXDetJSON(f *testing.F) {
	f.Add([]byte(`[{"file_name": "36200.png", "syms": [], "boxes": [], "polygons": []}, {"file_name": "39101.png", "syms": ["Effusion", "Consolidation"], "boxes": [[713, 632, 871, 754], [150, 561, 286, 641]], "polygons": [[[713, 652], [810, 673]], [[263, 561]]]}]`))
	f.Add([]byte(`[{"file_name":"x.png","syms":["Mass"],"boxes":[[1,2,3]]},{"file_name":"","syms":[],"boxes":[]}]`))
	in := filepath.Join(f.TempDir(), "c.json")
	f.Fuzz(func(t *testing.T, data []byte) {
		p, rej := testPreparer(t)
		path := fuzzInput(t, in, data)
		if err := p.readFile(chestXDetJSON{size: pngSize(nil, chestXDetSize)}, path); err != nil {
			if !strings.Contains(err.Error(), path) {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		checkAccounting(t, p, rej, path)
	})
}

func FuzzVQA(f *testing.F) {
	seedFile(f, "vqa.json")
	seedFile(f, "vqa_nested.json")
	f.Add([]byte(`[{"image_id":"a","gt_finding":"Cardiomegaly","gt_location":"[1,2,3,4]","image_width":10,"image_height":10}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, rej := testPreparer(t)
		p.images.get(cxrkit.SourceVinDr, "a")
		p.images.get(cxrkit.SourceVinDr, "aaaa0000000000000000000000000001")
		path := fuzzFile(t, "q.json", data)
		if err := p.readFile(vqaPairs{size: p.vindrSize}, path); err != nil {
			if !strings.Contains(err.Error(), path) {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		checkAccounting(t, p, rej, path)
	})
}

func FuzzMeta(f *testing.F) {
	seedFile(f, "vindr_meta.csv")
	seedFile(f, "vindr_physionet_meta.csv")
	f.Fuzz(func(t *testing.T, data []byte) {
		path := fuzzFile(t, "m.csv", data)
		got := map[string]Size{}
		if err := ReadMeta(path, got); err != nil {
			if !strings.Contains(err.Error(), path) {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		for id, s := range got {
			if id == "" || s.Width <= 0 || s.Height <= 0 {
				t.Fatalf("accepted %q %+v", id, s)
			}
		}
	})
}

func TestRejectReasonsAreStable(t *testing.T) {
	p, rej := testPreparer(t)
	path := fuzzFile(t, "v.csv", []byte("image_id,class_name,rad_id,x_min,y_min,x_max,y_max\n"+
		"a,Cardiomegaly,R1,1,2,3\n"+
		"a,Cardiomegaly,R1,10,20,5,40\n"+
		"b,Cardiomegaly,R1,10,20,30,\"\n"))
	if err := p.readFile(vindrAnnotations{size: p.vindrBoxSize}, path); err != nil {
		t.Fatal(err)
	}
	checkAccounting(t, p, rej, path)
	s := p.inputs["vindr"]
	if s.RejectedReasons[errFieldCount.Error()] != 1 || s.RejectedReasons[boxes.ErrXInverted.Error()] != 1 || s.RejectedReasons[errMalformedRow.Error()] != 1 {
		t.Fatalf("reasons %v", s.RejectedReasons)
	}
}

func FuzzChestXDetLabelAndMask(f *testing.F) {
	f.Add(label16(f, map[rect]uint16{{1, 1, 3, 3}: 3}), maskRGB(f, map[rect]color.RGBA{{1, 1, 3, 3}: red}))
	f.Add(label16(f, map[rect]uint16{{1, 1, 3, 3}: 300}), []byte("not a png"))
	f.Fuzz(func(t *testing.T, label, mask []byte) {
		g, err := pngGrid(label)
		if err != nil {
			return
		}
		if len(g.v) != g.w*g.h {
			t.Fatalf("grid %dx%d holds %d values", g.w, g.h, len(g.v))
		}
		if _, err := gridComponents(g, chestXDetClass); err != nil {
			return
		}
		insts, _, err := maskInstances(mask, g, chestXDetClass)
		for _, in := range insts {
			if _, ok := chestXDetClass(in.class); err == nil && (!ok || in.x0 > in.x1 || in.y0 > in.y1 || in.x1 >= g.w || in.y1 >= g.h) {
				t.Fatalf("bad instance %+v in %dx%d", in, g.w, g.h)
			}
		}
	})
}

// FuzzChestXDetParquet reads arbitrary bytes as one shard of the ChestX-Det
// Hugging Face mirror: an error naming the file (Arrow's panics on
// damaged files included) or a balanced accounting, never a panic.
func FuzzChestXDetParquet(f *testing.F) {
	for _, name := range []string{"train-00000-of-00003.parquet", "test-00000-of-00001.parquet"} {
		data, err := os.ReadFile(filepath.Join(writeChestXDetMirror(f), "data", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, rej := testPreparer(t)
		path := fuzzFile(t, "train-00000-of-00001.parquet", data)
		if err := p.readFile(chestXDetParquet{split: "train", class: chestXDetClass}, path); err != nil {
			if strings.Count(err.Error(), path) != 1 {
				t.Fatalf("error does not name the file once: %v", err)
			}
			return
		}
		checkAccounting(t, p, rej, path)
	})
}
