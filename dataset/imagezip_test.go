package dataset

import (
	"archive/zip"
	"bytes"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/boxes"
	"github.com/cxrkit/cxrkit/imaging"
)

// smallPNG encodes a w×h grey PNG.
func smallPNG(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = byte(i * 7)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// writeImageZip writes an archive laid out as NIH's images_NNN.zip: the
// members images/<id>.png, each a w×h PNG, plus the folder entry.
func writeImageZip(t testing.TB, path string, w, h int, ids ...string) {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	if _, err := zw.Create("images/"); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		f, err := zw.Create("images/" + id + ".png")
		if err != nil {
			t.Fatal(err)
		}
		f.Write(smallPNG(t, w, h))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestNIHImagesInZipArchives: --nih-images as one archive, as a folder of
// archives and as a folder mixing files and archives. Members are read in
// place: the corpus points at ARCHIVE.zip!MEMBER, the size comes from the
// member's header (the 1024 px default would be wrong for these 64×48
// images) and the box is normalized by it.
func TestNIHImagesInZipArchives(t *testing.T) {
	root := t.TempDir()
	one := filepath.Join(root, "one", "images_001.zip")
	writeImageZip(t, one, 64, 48, "00000001_000", "00000002_000")
	folder := filepath.Join(root, "folder")
	writeImageZip(t, filepath.Join(folder, "images_001.zip"), 64, 48, "00000001_000")
	writeImageZip(t, filepath.Join(folder, "images_002.zip"), 64, 48, "00000002_000")
	mixed := filepath.Join(root, "mixed")
	writeImageZip(t, filepath.Join(mixed, "images_001.zip"), 64, 48, "00000001_000", "00000002_000")
	if err := os.WriteFile(filepath.Join(mixed, "00000002_000.png"), smallPNG(t, 64, 48), 0o644); err != nil {
		t.Fatal(err)
	}
	entries := filepath.Join(root, "Data_Entry_2017_v2020.csv")
	os.WriteFile(entries, []byte("Image Index,Finding Labels,Follow-up #,Patient ID,Patient Age,Patient Gender,View Position,OriginalImage[Width,Height],OriginalImagePixelSpacing[x,y]\n"+
		"00000001_000.png,Cardiomegaly,0,1,58,M,PA,2682,2749,0.143,0.143\n"+
		"00000002_000.png,No Finding,0,2,81,M,PA,2500,2048,0.171,0.171\n"+
		"00000003_000.png,No Finding,0,3,81,M,PA,2500,2048,0.171,0.171\n"), 0o644)
	bbox := filepath.Join(root, "BBox_List_2017.csv")
	os.WriteFile(bbox, []byte("Image Index,Finding Label,Bbox [x,y,w,h],,,\n00000001_000.png,Cardiomegaly,16,12,32,24\n"), 0o644)

	for _, c := range []struct {
		name   string
		images string
		want   map[string]string // image id → image_path suffix
	}{
		{"one archive", one, map[string]string{
			"00000001_000": "images_001.zip!images/00000001_000.png",
			"00000002_000": "images_001.zip!images/00000002_000.png"}},
		{"folder of archives", folder, map[string]string{
			"00000001_000": "folder/images_001.zip!images/00000001_000.png",
			"00000002_000": "folder/images_002.zip!images/00000002_000.png"}},
		{"a file beats a member", mixed, map[string]string{
			"00000001_000": "mixed/images_001.zip!images/00000001_000.png",
			"00000002_000": "mixed/00000002_000.png"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := Defaults()
			o.NIHEntries, o.NIHBoxes, o.NIHImages = []string{entries}, []string{bbox}, c.images
			o.NormalRatio, o.Out = NormalRatioAll, t.TempDir()
			rep, recs := runPrepare(t, o)
			if got := rep.Sources[cxrkit.SourceNIH].MissingImageFiles; got != 1 {
				t.Errorf("image files missing = %d, want 1 (00000003_000 has none)", got)
			}
			seen := 0
			for _, r := range recs {
				want, ok := c.want[r.ImageID]
				if !ok {
					continue
				}
				seen++
				if !strings.HasSuffix(r.ImagePath, want) {
					t.Errorf("%s: image_path %q, want …%s", r.ImageID, r.ImagePath, want)
				}
				if r.Width != 64 || r.Height != 48 {
					t.Errorf("%s: size %dx%d, want the member's 64x48", r.ImageID, r.Width, r.Height)
				}
				// The path as written is readable by every consumer.
				if _, err := imaging.Defaults().ReadFile(cxrkit.ResolvePath(o.Out, r.ImagePath)); err != nil {
					t.Errorf("%s: %v", r.ImageID, err)
				}
				if r.ImageID == "00000001_000" {
					if len(r.Findings) != 1 || r.Findings[0].Box == nil || *r.Findings[0].Box != (boxes.Box{Y0: 0.25, X0: 0.25, Y1: 0.75, X1: 0.75}) {
						t.Errorf("box %+v, want [0.25 0.25 0.75 0.75] (normalized by the member's size)", r.Findings)
					}
				}
			}
			if seen != len(c.want) {
				t.Errorf("%d of %d images written", seen, len(c.want))
			}
		})
	}
}

// TestDamagedArchiveInImageFolder: a damaged archive inside an image
// folder is a warning naming it (report.json and the summary), and its
// images count as missing; prepare goes on. The same archive named as the
// image argument itself is an error naming it.
func TestDamagedArchiveInImageFolder(t *testing.T) {
	root := t.TempDir()
	folder := filepath.Join(root, "folder")
	writeImageZip(t, filepath.Join(folder, "images_001.zip"), 64, 48, "00000001_000")
	damaged := filepath.Join(folder, "images_002.zip")
	if err := os.WriteFile(damaged, []byte("PK\x03\x04 cut short by a failed download"), 0o644); err != nil {
		t.Fatal(err)
	}
	entries := filepath.Join(root, "Data_Entry_2017.csv")
	os.WriteFile(entries, []byte("Image Index,Finding Labels,Follow-up #,Patient ID\n"+
		"00000001_000.png,Cardiomegaly,0,1\n00000002_000.png,No Finding,0,2\n"), 0o644)

	o := Defaults()
	o.NIHEntries, o.NIHImages = []string{entries}, folder
	o.NormalRatio, o.Out = NormalRatioAll, t.TempDir()
	rep, _ := runPrepare(t, o)
	if _, ok := rep.DamagedArchives[damaged]; !ok || len(rep.DamagedArchives) != 1 {
		t.Errorf("damaged archives %v, want %s", rep.DamagedArchives, damaged)
	}
	if got := rep.Sources[cxrkit.SourceNIH].MissingImageFiles; got != 1 {
		t.Errorf("image files missing = %d, want 1 (00000002_000 was in the damaged archive)", got)
	}
	if s := rep.Summary(); !strings.Contains(s, "warning: damaged archive "+damaged) {
		t.Errorf("summary does not warn about %s:\n%s", damaged, s)
	}
	report, err := os.ReadFile(filepath.Join(o.Out, ReportFile))
	if err != nil || !strings.Contains(string(report), `"damaged_archives"`) {
		t.Errorf("report.json lacks damaged_archives (%v)", err)
	}

	o.NIHImages, o.Out = damaged, t.TempDir()
	if _, err := runPrepareErr(o); err == nil || !strings.Contains(err.Error(), damaged) {
		t.Errorf("damaged archive named directly: %v, want an error naming it", err)
	}
}

// TestImageFolderKeepsNoArchiveOpen: indexing a folder of many archives
// leaves none of them open (each is read for its member list and closed;
// probes reopen a bounded number through a cache).
func TestImageFolderKeepsNoArchiveOpen(t *testing.T) {
	if _, err := os.ReadDir("/proc/self/fd"); err != nil {
		t.Skip("no /proc/self/fd to count open files")
	}
	folder := t.TempDir()
	for i := range 40 {
		writeImageZip(t, filepath.Join(folder, fmt.Sprintf("images_%03d.zip", i)), 8, 8, fmt.Sprintf("%08d_000", i))
	}
	fds := func() int { e, _ := os.ReadDir("/proc/self/fd"); return len(e) }
	before := fds()
	d, err := indexImageDir(folder, imaging.Defaults())
	if err != nil {
		t.Fatal(err)
	}
	defer d.close()
	if len(d.paths) != 40 {
		t.Fatalf("%d images indexed, want 40", len(d.paths))
	}
	if open := fds() - before; open > 2 {
		t.Errorf("%d files left open after indexing 40 archives", open)
	}
	if s, _, err := d.size("00000007_000"); err != nil || s != (Size{Width: 8, Height: 8}) {
		t.Errorf("probe through the cache: %v %v", s, err)
	}
}
