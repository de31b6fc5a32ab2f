package dataset

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// hfImage is a Hugging Face datasets Image struct; the mirror's path is
// null.
type hfImage struct {
	Bytes []byte  `parquet:"bytes"`
	Path  *string `parquet:"path,optional"`
}

type hfChestXDetRow struct {
	Image hfImage `parquet:"image"`
	Label hfImage `parquet:"label"`
	Mask  hfImage `parquet:"mask"`
}

type hfLabelOnlyRow struct {
	Image hfImage `parquet:"image"`
	Label hfImage `parquet:"label"`
}

type rect struct{ x0, y0, x1, y1 int } // inclusive

func (r rect) has(x, y int) bool { return x >= r.x0 && x <= r.x1 && y >= r.y0 && y <= r.y1 }

const mirrorSide = 16

// label16 draws a 16-bit label PNG: 255 background, class ids in rects.
func label16(t testing.TB, regions map[rect]uint16) []byte {
	img := image.NewGray16(image.Rect(0, 0, mirrorSide, mirrorSide))
	for y := range mirrorSide {
		for x := range mirrorSide {
			v := uint16(255)
			for r, id := range regions {
				if r.has(x, y) {
					v = id
				}
			}
			img.SetGray16(x, y, color.Gray16{Y: v})
		}
	}
	return encodePNG(t, img)
}

// maskRGB draws an RGB instance mask: black background, a colour per rect.
func maskRGB(t testing.TB, regions map[rect]color.RGBA) []byte {
	img := image.NewRGBA(image.Rect(0, 0, mirrorSide, mirrorSide))
	for y := range mirrorSide {
		for x := range mirrorSide {
			c := color.RGBA{A: 255}
			for r, col := range regions {
				if r.has(x, y) {
					c = col
				}
			}
			img.SetRGBA(x, y, c)
		}
	}
	return encodePNG(t, img)
}

func encodePNG(t testing.TB, img image.Image) []byte {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func greyImage(t testing.TB) hfImage {
	return hfImage{Bytes: encodePNG(t, image.NewGray(image.Rect(0, 0, mirrorSide, mirrorSide)))}
}

var (
	red   = color.RGBA{200, 0, 0, 255}
	green = color.RGBA{0, 200, 0, 255}
	blue  = color.RGBA{0, 0, 200, 255}
)

// writeChestXDetMirror writes the natealberti/ChestX-Det layout: three
// train shards and one test shard of HF Image columns, and id2label.json.
func writeChestXDetMirror(t testing.TB) string {
	root := t.TempDir()
	data := filepath.Join(root, "data")
	os.MkdirAll(data, 0o755)
	os.WriteFile(filepath.Join(root, "id2label.json"), []byte(`{"1": "Atelectasis", "2": "Calcification", "3": "Cardiomegaly",
 "4": "Consolidation", "5": "Diffuse Nodule", "6": "Effusion", "7": "Emphysema", "8": "Fibrosis", "9": "Fracture",
 "10": "Mass", "11": "Nodule", "12": "Pleural Thickening", "13": "Pneumothorax"}`), 0o644)
	heart, nodule, stray := rect{2, 3, 5, 7}, rect{10, 10, 11, 11}, rect{0, 0, 0, 0}
	fluid, atel := rect{1, 9, 6, 14}, rect{9, 1, 12, 4}
	mass1, mass2 := rect{1, 1, 2, 2}, rect{6, 6, 7, 7}
	row := func(label map[rect]uint16, mask map[rect]color.RGBA) hfChestXDetRow {
		return hfChestXDetRow{Image: greyImage(t), Label: hfImage{Bytes: label16(t, label)}, Mask: hfImage{Bytes: maskRGB(t, mask)}}
	}
	shards := map[string][]hfChestXDetRow{
		"train-00000-of-00003.parquet": {
			row(map[rect]uint16{heart: 3, nodule: 11, stray: 0}, map[rect]color.RGBA{heart: red, nodule: green}),
			row(nil, nil),
		},
		"train-00001-of-00003.parquet": {
			// The effusion instance has a few atelectasis pixels under it:
			// the majority decides its class.
			row(map[rect]uint16{fluid: 6, {1, 9, 2, 9}: 1, atel: 1}, map[rect]color.RGBA{fluid: blue, atel: red}),
		},
		"train-00002-of-00003.parquet": {
			row(map[rect]uint16{}, map[rect]color.RGBA{heart: red}), // an instance over background
		},
		"test-00000-of-00001.parquet": {
			// One instance drawn in two pieces is one box.
			row(map[rect]uint16{mass1: 10, mass2: 10}, map[rect]color.RGBA{mass1: green, mass2: green}),
		},
	}
	for name, rows := range shards {
		if err := parquet.WriteFile(filepath.Join(data, name), rows); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func findingsOf(recs map[string][]string, id string) string { return strings.Join(recs[id], ",") }

func TestChestXDetHFMirrorFolder(t *testing.T) {
	root := writeChestXDetMirror(t)
	o := Defaults()
	o.ChestXDet, o.Out, o.NormalRatio, o.ValFraction = []string{root}, t.TempDir(), NormalRatioAll, 0
	rep, recs := runPrepare(t, o)
	got := map[string][]string{}
	for _, r := range recs {
		for _, f := range r.Findings {
			s := string(f.Label)
			if f.Box != nil {
				a := f.Box.Array()
				s += strings.ReplaceAll(fmtFloats(a[:]), " ", "/")
			}
			got[r.ImageID] = append(got[r.ImageID], s)
		}
	}
	tests := []struct{ id, want, why string }{
		// heart x 2..5, y 3..7 → [y0 3/16, x0 2/16, y1 8/16, x1 6/16].
		{"train-0", "nodule_mass0.625/0.625/0.75/0.75,cardiomegaly0.1875/0.125/0.5/0.375", "16-bit class ids, one box per instance"},
		{"train-1", "no_finding", "all background"},
		{"train-2", "pleural_effusion0.5625/0.0625/0.9375/0.4375", "majority class; atelectasis dropped"},
		{"train-3", "", "instance without a class: rejected, never normal"},
		{"test-0", "nodule_mass0.0625/0.0625/0.5/0.5", "an instance in two pieces is one box"},
	}
	for _, tt := range tests {
		if g := findingsOf(got, tt.id); g != tt.want {
			t.Errorf("%s = %q, want %q (%s)", tt.id, g, tt.want, tt.why)
		}
	}
	s := rep.Inputs["chestxdet"]
	if got := [4]int{s.RowsRead, s.RowsKept, s.RowsDropped, s.RowsRejected}; got != [4]int{7, 5, 1, 1} {
		t.Errorf("read,kept,dropped,rejected = %v, want [7 5 1 1]", got)
	}
	rejects, _ := os.ReadFile(filepath.Join(o.Out, RejectsFile))
	if !bytes.Contains(rejects, []byte(`train-00002-of-00003.parquet","line":1`)) {
		t.Errorf("reject does not name the shard and row: %s", rejects)
	}
}

func TestChestXDetHFMirrorOneShard(t *testing.T) {
	root := writeChestXDetMirror(t)
	o := Defaults()
	o.ChestXDet, o.Out, o.NormalRatio, o.ValFraction = []string{filepath.Join(root, "data", "train-00001-of-00003.parquet")}, t.TempDir(), NormalRatioAll, 0
	_, recs := runPrepare(t, o)
	if len(recs) != 1 || recs[0].ImageID != "train-2" {
		t.Fatalf("records %+v, want one named train-2 (after shard 0's two rows)", recs)
	}
	lonely := filepath.Join(t.TempDir(), "train-00001-of-00003.parquet")
	data, _ := os.ReadFile(filepath.Join(root, "data", "train-00001-of-00003.parquet"))
	os.WriteFile(lonely, data, 0o644)
	o.ChestXDet, o.Out = []string{lonely}, t.TempDir()
	if _, err := runPrepareErr(o); err == nil || !strings.Contains(err.Error(), "shard 0") {
		t.Fatalf("err %v, want one naming the missing shard 0", err)
	}
}

func TestChestXDetHFLabelOnlyComponents(t *testing.T) {
	path := filepath.Join(t.TempDir(), "train-00000-of-00001.parquet")
	label := label16(t, map[rect]uint16{{1, 1, 2, 2}: 10, {6, 6, 7, 7}: 10})
	if err := parquet.WriteFile(path, []hfLabelOnlyRow{{Image: greyImage(t), Label: hfImage{Bytes: label}}}); err != nil {
		t.Fatal(err)
	}
	o := Defaults()
	o.ChestXDet, o.Out, o.ValFraction = []string{path}, t.TempDir(), 0
	_, recs := runPrepare(t, o)
	if len(recs) != 1 || recs[0].ImageID != "train-0" || len(recs[0].Findings) != 2 {
		t.Fatalf("records %+v, want train-0 with a box per connected component", recs)
	}
}

func TestChestXDetMirrorWrongFolder(t *testing.T) {
	o := Defaults()
	o.ChestXDet, o.Out = []string{t.TempDir()}, t.TempDir()
	if _, err := runPrepareErr(o); err == nil || !strings.Contains(err.Error(), "NNNNN-of-NNNNN.parquet") {
		t.Fatalf("err %v, want one naming the expected layout", err)
	}
}

func fmtFloats(v []float64) string {
	s := make([]string, len(v))
	for i, f := range v {
		s[i] = strings.TrimRight(strings.TrimRight(strconvF(f), "0"), ".")
	}
	return strings.Join(s, " ")
}

func strconvF(f float64) string { return strconv.FormatFloat(f, 'f', 4, 64) }
