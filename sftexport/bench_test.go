package sftexport

import (
	"context"
	"path/filepath"
	"testing"
)

// BenchmarkExportNoResize measures image payload throughput (MB/s) of a
// plain export of generated 8- and 16-bit PNGs.
func BenchmarkExportNoResize(b *testing.B) {
	corpus := fixture(b, 200, 512)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s, err := Export(context.Background(), Options{Corpus: corpus, Out: b.TempDir()})
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(s.ImageBytes)
	}
}

// BenchmarkExportResize896RealNIH measures images per second when fitting
// the real 1024×1024 NIH images to 896.
func BenchmarkExportResize896RealNIH(b *testing.B) {
	files, _ := filepath.Glob("../../shared/realdata/nih-images/*.png")
	if len(files) == 0 {
		b.Skip("real NIH images not found")
	}
	corpus := realCorpus(b, files)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s, err := Export(context.Background(), Options{Corpus: corpus, Out: b.TempDir(), Resize: 896})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(s.Rows[TaskGrounding]["train"])/s.Seconds, "images/s")
	}
}
