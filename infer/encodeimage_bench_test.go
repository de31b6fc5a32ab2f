package infer_test

import (
	"image"
	"path/filepath"
	"testing"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/imaging"
	"github.com/cxrkit/cxrkit/infer"
)

// BenchmarkEncodeImageNIH prepares the grey real NIH images (the colour
// one takes the standard library's slow path) as the audit client's
// scaled path does, one per op: read, decode, scale to 896, encode as PNG.
func BenchmarkEncodeImageNIH(b *testing.B) {
	files, _ := filepath.Glob("../../shared/realdata/nih-images/*.png")
	if len(files) == 0 {
		b.Skip("real NIH images not found in ../../shared/realdata/nih-images")
	}
	var grey []string
	for _, f := range files {
		if img, _, err := imaging.DecodeFile(f); err == nil {
			if _, ok := img.(*image.Gray); ok {
				grey = append(grey, f)
			}
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ref := cxrkit.ImageRef{ImageID: "x", Path: grey[i%len(grey)]}
		if _, err := infer.EncodeImage(b.Context(), ref, infer.ImageOptions{MaxSide: 896}); err != nil {
			b.Fatal(err)
		}
	}
}
