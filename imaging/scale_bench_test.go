package imaging

import (
	"context"
	"image"
	"os"
	"testing"
	"time"
)

// nihGray8 is the 8-bit grey real NIH images (a few of the 34 are RGBA)
// with their still-filtered rows as inflated from the IDAT stream. It
// skips the benchmark or test when the images are absent.
func nihGray8(tb testing.TB) (files [][]byte, raws [][]byte, hdrs []grayHeader) {
	for _, name := range realImages(tb) {
		data, err := os.ReadFile(name)
		if err != nil {
			tb.Fatal(err)
		}
		h, idat, ok := scanGrayPNG(data)
		if !ok || h.bpp != 1 {
			continue
		}
		stream, _ := idatStream(data, idat, nil)
		raw := make([]byte, (1+h.width)*h.height)
		if ok, sum := inflateZlibStream(raw, stream); !ok || !sum {
			tb.Fatalf("%s: inflate failed", name)
		}
		files, raws, hdrs = append(files, data), append(raws, raw), append(hdrs, h)
	}
	if len(files) == 0 {
		tb.Skip("no 8-bit grey real NIH images")
	}
	return files, raws, hdrs
}

// BenchmarkUnfilterNIH unfilters the rows of every 8-bit grey NIH image
// once per iteration (the copy restoring the filtered rows is not timed).
func BenchmarkUnfilterNIH(b *testing.B) {
	_, raws, hdrs := nihGray8(b)
	work := make([]byte, len(raws[0]))
	var cpu time.Duration
	b.ResetTimer()
	for range b.N {
		for i, raw := range raws {
			b.StopTimer()
			work = append(work[:0], raw...)
			b.StartTimer()
			t0 := cpuTime()
			if !unfilterRows(work, hdrs[i].width, 1, nil) {
				b.Fatal("bad filter")
			}
			cpu += cpuTime() - t0
		}
	}
	reportPerImage(b, cpu, b.N*len(raws))
}

// BenchmarkResizeGray8NIH scales every decoded 8-bit grey NIH image to
// 896 on its long side, into a reused buffer as FitPNG does.
func BenchmarkResizeGray8NIH(b *testing.B) {
	files, _, _ := nihGray8(b)
	var imgs []*image.Gray
	for _, data := range files {
		img, ok, err := decodeGrayPNG(context.Background(), data)
		if !ok || err != nil {
			b.Fatal("decode failed")
		}
		imgs = append(imgs, img.(*image.Gray))
	}
	var pix []byte
	t0 := cpuTime()
	b.ResetTimer()
	for range b.N {
		for _, g := range imgs {
			w, h := fitSize(g.Rect.Dx(), g.Rect.Dy(), 896)
			pix = resizeGray8Into(g, w, h, pix).Pix
		}
	}
	reportPerImage(b, cpuTime()-t0, b.N*len(imgs))
}

// BenchmarkFitPNGNIH is the audit client's scaled path on every 8-bit
// grey NIH image: decode, scale to 896, encode.
func BenchmarkFitPNGNIH(b *testing.B) {
	files, _, _ := nihGray8(b)
	ctx := context.Background()
	t0 := cpuTime()
	b.ResetTimer()
	for range b.N {
		for _, data := range files {
			if _, _, err := (Options{}).FitPNG(ctx, data, 896); err != nil {
				b.Fatal(err)
			}
		}
	}
	reportPerImage(b, cpuTime()-t0, b.N*len(files))
}

// reportPerImage reports the wall time and the process CPU time per
// image; on a machine shared with other work the CPU time is the steadier.
func reportPerImage(b *testing.B, cpu time.Duration, images int) {
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(images), "µs/image")
	b.ReportMetric(float64(cpu.Microseconds())/float64(images), "cpu-µs/image")
}
