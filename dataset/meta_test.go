package dataset

import (
	"context"
	"fmt"
	"maps"
	"strconv"
	"testing"
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
}
