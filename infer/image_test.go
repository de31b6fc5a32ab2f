package infer

import (
	"bytes"
	"errors"
	"image"
	"image/png"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/cxrkit/cxrkit"
)

// TestEncodeImageLentBytes: files read into the reused buffer are never
// kept: an image sent as it is owns a copy of its bytes, and a scaled one
// owns only its PNG, so reading the next files cannot change an earlier
// Encoded. Each kind of file and option goes through EncodeImage twice,
// between reads of other files.
func TestEncodeImageLentBytes(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, w, h int, v byte) string {
		g := image.NewGray(image.Rect(0, 0, w, h))
		for i := range g.Pix {
			g.Pix[i] = v + byte(i%7)
		}
		var buf bytes.Buffer
		if err := png.Encode(&buf, g); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	small, large, other := write("small.png", 40, 30, 10), write("large.png", 300, 200, 60), write("other.png", 300, 300, 200)
	for _, tt := range []struct {
		name string
		path string
		o    ImageOptions
	}{
		{"small, sent as it is", small, ImageOptions{MaxSide: 100}},
		{"large, scaled", large, ImageOptions{MaxSide: 100}},
		{"large, padded", large, ImageOptions{MaxSide: 100, PadToSquare: true}},
		{"server resizes", large, ImageOptions{MaxSide: 100, ServerResizes: true}},
		{"no bound", small, ImageOptions{}},
	} {
		ref := cxrkit.ImageRef{ImageID: "x", Path: tt.path}
		// The largest file first, so that the next reads fit its buffer.
		if _, err := EncodeImage(t.Context(), cxrkit.ImageRef{ImageID: "y", Path: other}, ImageOptions{MaxSide: 100}); err != nil {
			t.Fatal(err)
		}
		first, err := EncodeImage(t.Context(), ref, tt.o)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		kept := bytes.Clone(first.Data)
		for _, p := range []string{other, large, small, other} { // reuse the buffer
			if _, err := EncodeImage(t.Context(), cxrkit.ImageRef{ImageID: "y", Path: p}, ImageOptions{MaxSide: 100}); err != nil {
				t.Fatal(err)
			}
		}
		if !bytes.Equal(first.Data, kept) {
			t.Errorf("%s: the Encoded's bytes changed when later files were read", tt.name)
		}
		again, err := EncodeImage(t.Context(), ref, tt.o)
		if err != nil || !bytes.Equal(again.Data, kept) || again.Sent != first.Sent {
			t.Errorf("%s: a second encoding differs (%v)", tt.name, err)
		}
	}
}

// TestEncodeImageErrors: a missing file is an *ImageError whichever read
// path it takes, and says so.
func TestEncodeImageErrors(t *testing.T) {
	for _, o := range []ImageOptions{{MaxSide: 100}, {ServerResizes: true}} {
		_, err := EncodeImage(t.Context(), cxrkit.ImageRef{ImageID: "m", Path: filepath.Join(t.TempDir(), "missing.png")}, o)
		var ie *ImageError
		if !errors.As(err, &ie) || !errors.Is(err, fs.ErrNotExist) || ie.Reason() != "image file not found" {
			t.Errorf("%+v: err %v", o, err)
		}
	}
}
