package dataset

import (
	"context"
	"fmt"
	"maps"
	"strconv"
	"testing"

	"github.com/cxrkit/cxrkit"
)

// referenceReadMeta is ReadMeta as it was before it read rows as views:
// every field copied to a string.
func referenceReadMeta(path string, into map[string]Size) error {
	return withMetaTable(context.Background(), path, func(t *csvTable, idCol, wCol, hCol int) error {
		return t.each(func(rec []string, _ int) error {
			id := stripImageExt(field(rec, idCol))
			w, werr := strconv.Atoi(field(rec, wCol))
			h, herr := strconv.Atoi(field(rec, hCol))
			if id == "" || werr != nil || herr != nil || w <= 0 || h <= 0 {
				return fmt.Errorf("want an image id and positive integer width and height, got %q", rec)
			}
			into[id] = Size{Width: w, Height: h}
			return nil
		})
	})
}

var metaCases = []string{
	"image_id,dim0,dim1\na,480,640\nb.png , 3,4\n",
	"image_id,dim0,dim1\n.png,1,2\n",
	"image_id,dim0,dim1\n ,1,2\n",
	"image_id,dim0,dim1\na,0,2\n",
	"image_id,dim0,dim1\na,1\n",
	"image_id,dim0,dim1\na\xff,1,2\n",
	"image_id,dim0,dim1\n\"a,b\",1,2\nc,+3,4\n",
	"id,width,height\nx.dcm,640,480\ny,1e3,2\n",
	"image_id,dim0,dim1\na.PNG,1,2\nd/b.jpeg,3,4\nc.txt,5,6\nd.e.dicom,7,8\nf.png/g,9,9\na,2,2\n",
	"image_id,dim0,dim1\n\u00a0.png\u00a0,1,2\n",
}

// TestReadMetaSameAsReference: reading the size file from views gives the
// sizes and errors the string reading gave.
func TestReadMetaSameAsReference(t *testing.T) {
	for _, data := range metaCases {
		checkMetaAgrees(t, []byte(data))
	}
}

func FuzzReadMetaSameAsReference(f *testing.F) {
	for _, data := range metaCases {
		f.Add([]byte(data))
	}
	f.Fuzz(checkMetaAgrees)
}

func checkMetaAgrees(t *testing.T, data []byte) {
	path := fuzzFile(t, "m.csv", data)
	got, want := map[string]Size{}, map[string]Size{}
	gerr, werr := ReadMeta(path, got), referenceReadMeta(path, want)
	if fmt.Sprint(gerr) != fmt.Sprint(werr) || !maps.Equal(got, want) {
		t.Fatalf("%q: %v %v, want %v %v", data, got, gerr, want, werr)
	}
	// prepare's reading, into the image registry, has the same sizes, and
	// an image only a size file names is not an image of the corpus.
	im, added := newImages(), 0
	rerr := readMeta(context.Background(), path, func(id []byte, s Size) {
		if im.putMeta(cxrkit.SourceVinDr, id, s) {
			added++
		}
	})
	if fmt.Sprint(rerr) != fmt.Sprint(werr) {
		t.Fatalf("%q: registry read %v, want %v", data, rerr, werr)
	}
	if werr != nil {
		return
	}
	if added != len(want) || len(im.all()) != 0 || len(im.sorted()) != 0 {
		t.Fatalf("%q: %d ids added, %d images, want %d ids and no image", data, added, len(im.all()), len(want))
	}
	for id, s := range want {
		if got, ok := im.metaOf(cxrkit.SourceVinDr, id); !ok || got != s || im.lookup(cxrkit.SourceVinDr, id) != nil {
			t.Fatalf("%q: %q has size %v %v, want %v, and is not unseen", data, id, got, ok, s)
		}
		if a := im.get(cxrkit.SourceVinDr, id); !a.hasMeta || a.meta != s || im.lookup(cxrkit.SourceVinDr, id) != a || len(im.all()) != 1 {
			t.Fatalf("%q: a row's image %q lost its size %v", data, id, s)
		}
		im = newImages()
		break
	}
}

// TestStripImageExtView: the view form strips what stripImageExt strips.
func TestStripImageExtView(t *testing.T) {
	for _, name := range []string{"", " ", "a", "a.png", " a.PNG ", "a.png.png", ".png", "a.txt", "a/b.jpg", "a.b/c", "a.png/c",
		"a.dcm", "a.dicom", "a.jpeg", "a.", "x\\y.png", "\u00a0a.jpg\u00a0", "a.p\xffng"} {
		if got, want := string(stripImageExtView([]byte(name))), stripImageExt(name); got != want {
			t.Errorf("%q: %q, want %q", name, got, want)
		}
	}
}
