package dataset

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestInputDigestTakenWhileReading: the readers prepare hashes as they
// read (JSON arrays, VinDr and NIH CSVs) leave a digest that, finished,
// is the file's sha256 and size, including what the reader left unread
// after a JSON array's closing bracket.
func TestInputDigestTakenWhileReading(t *testing.T) {
	fixture := func(name string) []byte {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	// Whitespace after the array, longer than the read buffer: the
	// reader reads it all (only whitespace may follow the array).
	tail := []byte(strings.Repeat(" \n", 2*readBufferBytes))
	tests := []struct {
		name   string
		src    source
		data   []byte
		unread bool // the reader stops before the end
	}{
		{"chestxdet.json", chestXDetJSON{size: pngSize(nil, chestXDetSize)}, append(fixture("chestxdet.json"), tail...), false},
		{"vqa.json", vqaPairs{size: func(string) (Size, error) { return Size{Width: 10, Height: 10}, nil }}, append(fixture("vqa.json"), tail...), false},
		{"vindr_train.csv", vindrAnnotations{size: func([]byte, Size) (Size, error) { return Size{Width: 10, Height: 10}, nil }}, fixture("vindr_train.csv"), false},
		{"nih_bbox.csv", nihBoxList{size: pngSize(nil, nihPNGSize)}, fixture("nih_bbox.csv"), false},
		{"nih_entries.csv", nihDataEntry{}, fixture("nih_entries.csv"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := fuzzFile(t, tt.name, tt.data)
			d := &inputDigest{path: path}
			ctx := withInputDigest(context.Background(), d)
			if err := tt.src.read(ctx, path, func(row) error { return nil }); err != nil {
				t.Fatal(err)
			}
			if d.h == nil || d.n == 0 || (d.n < int64(len(tt.data))) != tt.unread {
				t.Fatalf("read recorded %d of %d bytes (hash %v), want unread tail %v", d.n, len(tt.data), d.h != nil, tt.unread)
			}
			in, ok := d.finish(context.Background())
			sum := sha256.Sum256(tt.data)
			if !ok || in.SHA256 != hex.EncodeToString(sum[:]) || in.Bytes != int64(len(tt.data)) || in.Path != path {
				t.Fatalf("finished digest %+v (ok %v), want sha256 %x, %d bytes", in, ok, sum, len(tt.data))
			}
		})
	}
	var none *inputDigest
	if _, ok := none.finish(context.Background()); ok {
		t.Fatal("a nil digest finished")
	}
	if _, ok := (&inputDigest{path: "x"}).finish(context.Background()); ok {
		t.Fatal("a digest nothing was read for finished")
	}
}
