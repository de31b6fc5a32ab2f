package dataset

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/parquet-go/parquet-go"
)

type gridRow struct {
	ImageID string    `parquet:"image_id"`
	Label   [][]int32 `parquet:"label,list"`
}

type maskRow struct {
	ImageID string `parquet:"image_id"`
	Label   struct {
		Bytes []byte `parquet:"bytes"`
		Path  string `parquet:"path"`
	} `parquet:"label"`
}

func gridOf(w, h int, fill func(x, y int) int32) [][]int32 {
	g := make([][]int32, h)
	for y := range g {
		g[y] = make([]int32, w)
		for x := range g[y] {
			g[y][x] = fill(x, y)
		}
	}
	return g
}

func TestChestXDetParquetMirror(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "train.parquet")
	rows := []gridRow{
		{"a.png", gridOf(10, 8, func(x, y int) int32 {
			switch {
			case x >= 1 && x <= 3 && y >= 2 && y <= 4:
				return 3 // Cardiomegaly, one component
			case x >= 6 && y == 0, x == 9 && y == 1:
				return 11 // Nodule: 8-connected diagonal pieces
			case x == 0 && y == 7:
				return 1 // Atelectasis: dropped
			}
			return 255
		})},
		{"b", gridOf(4, 4, func(x, y int) int32 { return 255 })},
		{"c", gridOf(4, 4, func(x, y int) int32 {
			if x == 2 {
				return 40
			}
			return 255
		})},
	}
	if err := parquet.WriteFile(path, rows); err != nil {
		t.Fatal(err)
	}
	o := Defaults()
	o.ChestXDet, o.Out, o.NormalRatio = []string{path}, t.TempDir(), NormalRatioAll
	rep, recs := runPrepare(t, o)
	if len(recs) != 2 {
		t.Fatalf("records %+v", recs)
	}
	a := recs[0]
	if a.ImageID != "a" || a.Width != 10 || a.Height != 8 || len(a.Findings) != 2 {
		t.Fatalf("a = %+v", a)
	}
	// Cardiomegaly pixels x 1..3, y 2..4 → box x 1..4, y 2..5 (last pixel inclusive).
	if b := a.Findings[1].Box; a.Findings[1].Label != "cardiomegaly" || b == nil || b.Array() != [4]float64{0.25, 0.1, 0.625, 0.4} {
		t.Errorf("cardiomegaly = %+v", a.Findings[1])
	}
	if b := a.Findings[0].Box; a.Findings[0].Label != "nodule_mass" || b.Array() != [4]float64{0, 0.6, 0.25, 1} {
		t.Errorf("nodule = %+v %v", a.Findings[0], b)
	}
	if recs[1].ImageID != "b" || recs[1].Findings[0].Label != "no_finding" {
		t.Errorf("b = %+v", recs[1])
	}
	s := rep.Inputs["chestxdet"]
	// a: 3 components (1 dropped), b: 1 no-findings row, c: rejected.
	if s.RowsRead != 5 || s.RowsKept != 3 || s.RowsDropped != 1 || s.RowsRejected != 1 || s.RejectedReasons[errUnknownClassID.Error()] != 1 {
		t.Errorf("stats %+v", s)
	}
}

func TestChestXDetParquetPNGLabelGrid(t *testing.T) {
	img := image.NewGray(image.Rect(0, 0, 20, 10))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	for y := 5; y < 10; y++ {
		for x := 10; x < 20; x++ {
			img.Pix[y*20+x] = 6 // Effusion
		}
	}
	var buf bytes.Buffer
	png.Encode(&buf, img)
	row := maskRow{ImageID: "m"}
	row.Label.Bytes = buf.Bytes()
	path := filepath.Join(t.TempDir(), "m.parquet")
	if err := parquet.WriteFile(path, []maskRow{row}); err != nil {
		t.Fatal(err)
	}
	o := Defaults()
	o.ChestXDet, o.Out = []string{path}, t.TempDir()
	_, recs := runPrepare(t, o)
	if len(recs) != 1 || recs[0].Findings[0].Label != "pleural_effusion" || recs[0].Findings[0].Box.Array() != [4]float64{0.5, 0.5, 1, 1} {
		t.Fatalf("recs = %+v", recs)
	}
}

func TestChestXDetParquetWrongSchema(t *testing.T) {
	type other struct {
		Name string `parquet:"name"`
	}
	path := filepath.Join(t.TempDir(), "x.parquet")
	parquet.WriteFile(path, []other{{"a"}})
	o := Defaults()
	o.ChestXDet, o.Out = []string{path}, t.TempDir()
	if _, err := runPrepareErr(o); err == nil {
		t.Fatal("no error for a parquet file without id and grid columns")
	}
	os.Remove(path)
}
