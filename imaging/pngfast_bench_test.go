package imaging

import (
	"image"
	"testing"
)

// BenchmarkEncodePNGFastRealNIH encodes every real NIH image scaled to
// 896², as the audit client's scaled path does (the grey ones: the one
// colour image goes to image/png); ns/op is per image.
func BenchmarkEncodePNGFastRealNIH(b *testing.B) {
	var imgs []image.Image
	for _, p := range realImages(b) {
		img, _, err := DecodeFile(p)
		if err != nil {
			b.Fatal(err)
		}
		if g, ok := FitLongSide(img, 896).(*image.Gray); ok { // the fast writer's images
			imgs = append(imgs, g)
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := PNGBytes(imgs[i%len(imgs)], true); err != nil {
			b.Fatal(err)
		}
	}
}
