package dataset

import (
	"bufio"
	"context"
	"image/jpeg"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cxrkit/cxrkit/boxes"
	"github.com/cxrkit/cxrkit/imaging"
)

var realNIHImages = []string{"00000001_000", "00000002_000", "00000004_000", "00000032_001"}

// imageFixture builds an NIH image folder of real images and a ChestX-Det
// folder holding one of them again, resized and re-encoded as JPEG under a
// ChestX-Det name, as the real ChestX-Det release does with NIH images.
func imageFixture(t testing.TB) Options {
	src := needRealData(t, "nih-images")
	root := t.TempDir()
	nihDir, cxdDir := filepath.Join(root, "nih"), filepath.Join(root, "cxd")
	os.MkdirAll(nihDir, 0o755)
	os.MkdirAll(cxdDir, 0o755)
	var entries strings.Builder
	entries.WriteString("Image Index,Finding Labels,Follow-up #,Patient ID\n")
	for _, id := range realNIHImages {
		data, err := os.ReadFile(filepath.Join(src, id+".png"))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(nihDir, id+".png"), data, 0o644)
		entries.WriteString(id + ".png,No Finding,0," + id[:8] + "\n")
	}
	img, _, err := imaging.DecodeFile(filepath.Join(src, "00000004_000.png"))
	if err != nil {
		t.Fatal(err)
	}
	f, _ := os.Create(filepath.Join(cxdDir, "90001.jpg"))
	jpeg.Encode(f, imaging.FitLongSide(img, 512), &jpeg.Options{Quality: 80})
	f.Close()
	entriesPath := filepath.Join(root, "entries.csv")
	os.WriteFile(entriesPath, []byte(entries.String()), 0o644)
	cxd := filepath.Join(root, "cxd.json")
	os.WriteFile(cxd, []byte(`[{"file_name": "90001.png", "syms": ["Nodule"], "boxes": [[100, 100, 150, 150]], "polygons": []},
{"file_name": "90002.png", "syms": [], "boxes": [], "polygons": []}]`), 0o644)
	o := Defaults()
	o.NIHEntries, o.NIHImages = []string{entriesPath}, nihDir
	o.ChestXDet, o.ChestXDetImage = []string{cxd}, cxdDir
	o.NormalRatio, o.ValFraction = NormalRatioAll, 0.4
	o.Out = t.TempDir()
	return o
}

func TestImageFoldersAndDuplicates(t *testing.T) {
	o := imageFixture(t)
	o.DedupImages = true
	rep, recs := runPrepare(t, o)
	by := map[string]int{}
	for i, r := range recs {
		by[r.Key()] = i
	}
	cxd := recs[by["chestxdet:90001"]]
	if cxd.Width != 512 || cxd.Height != 512 || !strings.HasSuffix(cxd.ImagePath, "90001.jpg") {
		t.Errorf("chestxdet record = %+v (size and path from the JPEG header)", cxd)
	}
	// The box was drawn in the 512-pixel image: 100/512.
	if b := cxd.Findings[0].Box; b == nil || b.X0 != 0.1953 {
		t.Errorf("box %v not normalized by the probed size", b)
	}
	nih := recs[by["nih:00000004_000"]]
	if nih.Width != 1024 || !strings.HasSuffix(nih.ImagePath, "00000004_000.png") {
		t.Errorf("nih record = %+v", nih)
	}
	if _, ok := by["chestxdet:90002"]; !ok || recs[by["chestxdet:90002"]].ImagePath != "" {
		t.Error("record without an image file should be kept without image_path")
	}
	if rep.Sources["chestxdet"].MissingImageFiles != 1 {
		t.Errorf("missing files = %d, want 1", rep.Sources["chestxdet"].MissingImageFiles)
	}
	if len(rep.Duplicates) != 1 || rep.Duplicates[0].A != "chestxdet:90001" || rep.Duplicates[0].B != "nih:00000004_000" {
		t.Fatalf("duplicates = %+v, want chestxdet:90001 = nih:00000004_000", rep.Duplicates)
	}
	if cxd.Split != nih.Split {
		t.Errorf("duplicates in two splits: %s and %s", cxd.Split, nih.Split)
	}
	t.Logf("duplicate: %+v", rep.Duplicates[0])
}

// BenchmarkProbeAndHashRealNIH measures header probing and perceptual
// hashing of the 34 real NIH images (one op = one image).
func BenchmarkProbeRealNIH(b *testing.B) {
	files, _ := filepath.Glob(filepath.Join(needRealData(b, "nih-images"), "*.png"))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := imaging.Probe(files[i%len(files)]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkHashRealNIH(b *testing.B) {
	files, _ := filepath.Glob(filepath.Join(needRealData(b, "nih-images"), "*.png"))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		img, _, err := imaging.DecodeFile(files[i%len(files)])
		if err != nil {
			b.Fatal(err)
		}
		imaging.FingerprintOf(img)
	}
}

// TestKilledPrepareLeavesNoCompleteOutput kills a prepare run with SIGKILL
// while it hashes images and checks that no output file appears under its
// final name.
func TestKilledPrepareLeavesNoCompleteOutput(t *testing.T) {
	if os.Getenv("CXRKIT_KILL_HELPER") != "" {
		return
	}
	needRealData(t, "nih-images")
	out := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKillHelper$", "-test.v")
	cmd.Env = append(os.Environ(), "CXRKIT_KILL_HELPER="+out)
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan bool)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "HASHING") {
				ready <- true
				return
			}
		}
		close(ready)
	}()
	select {
	case ok := <-ready:
		if !ok {
			t.Fatal("helper ended before hashing")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("helper never reached hashing")
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	for _, name := range []string{CorpusFile, ReportFile, RejectsFile} {
		if _, err := os.Stat(filepath.Join(out, name)); !os.IsNotExist(err) {
			t.Errorf("killed run left %s (err %v)", name, err)
		}
	}
	entries, _ := os.ReadDir(out)
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), ".") || !strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("killed run left %s, which does not look like a temporary file", e.Name())
		}
	}
}

func TestKillHelper(t *testing.T) {
	out := os.Getenv("CXRKIT_KILL_HELPER")
	if out == "" {
		t.Skip("helper process for TestKilledPrepareLeavesNoCompleteOutput")
	}
	o := imageFixture(t)
	o.Out, o.DedupImages = out, true
	o.Progress = func(string, int, int) {
		os.Stdout.WriteString("HASHING\n")
		time.Sleep(time.Hour)
	}
	Prepare(context.Background(), o)
}

func TestVinDrSizesFromDICOMHeaders(t *testing.T) {
	dir := t.TempDir()
	data, err := os.ReadFile("../imaging/testdata/mono1_12bit.dcm")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "cccc0000000000000000000000000001.dicom"), data, 0o644)
	csvPath := filepath.Join(t.TempDir(), "train.csv")
	os.WriteFile(csvPath, []byte("image_id,class_name,class_id,rad_id,x_min,y_min,x_max,y_max\n"+
		"cccc0000000000000000000000000001,Cardiomegaly,3,R1,16,12,48,36\n"+
		"cccc0000000000000000000000000002,Cardiomegaly,3,R1,16,12,48,36\n"), 0o644)
	o := Defaults()
	o.VinDr, o.VinDrImages, o.Out = []string{csvPath}, dir, t.TempDir()
	rep, recs := runPrepare(t, o)
	if len(recs) != 1 || recs[0].Width != 64 || recs[0].Height != 48 || recs[0].Findings[0].Box.Array() != [4]float64{0.25, 0.25, 0.75, 0.75} {
		t.Fatalf("records %+v", recs)
	}
	if rep.Inputs["vindr"].RejectedReasons[boxes.ErrNoImageSize.Error()] != 1 {
		t.Fatalf("image without meta or file: %v", rep.Inputs["vindr"].RejectedReasons)
	}
}

// dataset.Size is imaging.Size: a size from a metadata file and one from
// an image header need no conversion (this fails to compile otherwise).
var _ imaging.Size = Size{}
