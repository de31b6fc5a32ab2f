package boxes

import (
	"math/rand/v2"
	"testing"
)

func BenchmarkIoU(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	bs := make([]Box, 1024)
	for i := range bs {
		bs[i] = randomBox(rng)
	}
	b.ResetTimer()
	var s float64
	for i := 0; i < b.N; i++ {
		s += IoU(bs[i&1023], bs[(i+1)&1023])
	}
	_ = s
}

func BenchmarkMatch(b *testing.B) {
	rng := rand.New(rand.NewPCG(2, 2))
	pred, gold := make([]Box, 10), make([]Box, 10)
	for i := range pred {
		pred[i], gold[i] = randomBox(rng), randomBox(rng)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		Match(pred, gold, 0.3)
	}
}
