package imaging

import (
	"image"
	"math"
	"math/bits"
	"slices"
)

// Hash is a 64-bit perceptual hash of a radiograph.
type Hash uint64

// Distance is the Hamming distance between two hashes.
func (h Hash) Distance(o Hash) int { return bits.OnesCount64(uint64(h ^ o)) }

const hashSide = 32

// hashOf is the DCT hash of a 32×32 grey plane: its 2-D DCT taken, and
// each of the 8×8 lowest frequencies (the DC term excluded from the
// median) set as a bit when above the median. Resizing, re-encoding and
// mild contrast changes move few bits; different radiographs differ in
// many.
func hashOf(small []float32) Hash {
	coef := dct2(small)
	var low [64]float64
	for v := 0; v < 8; v++ {
		for u := 0; u < 8; u++ {
			low[v*8+u] = coef[v*hashSide+u]
		}
	}
	med := median(low[1:])
	var out Hash
	for i, c := range low {
		if c > med {
			out |= 1 << uint(i)
		}
	}
	return out
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// dct2 is the (unnormalized) 2-D DCT-II of a hashSide² plane, rows of the
// result limited to the first 8 frequencies that the hash uses.
func dct2(p []float32) []float64 {
	const n = hashSide
	var cos [8][n]float64
	for k := range 8 {
		for i := range n {
			cos[k][i] = math.Cos(math.Pi / n * (float64(i) + 0.5) * float64(k))
		}
	}
	rows := make([]float64, n*8) // rows transformed: [y][u]
	for y := range n {
		for u := range 8 {
			var s float64
			for x := range n {
				s += float64(p[y*n+x]) * cos[u][x]
			}
			rows[y*8+u] = s
		}
	}
	out := make([]float64, n*n)
	for v := range 8 {
		for u := range 8 {
			var s float64
			for y := range n {
				s += rows[y*8+u] * cos[v][y]
			}
			out[v*n+u] = s
		}
	}
	return out
}

// Fingerprint is what duplicate detection compares: the perceptual hash
// finds candidates, the 16×16 thumbnail confirms them.
type Fingerprint struct {
	Hash  Hash
	Thumb [256]float32
}

// FingerprintOf computes the hash and thumbnail of img in one pass.
func FingerprintOf(img image.Image) Fingerprint {
	plane, w, h := GrayPlane(img)
	small := resizePlane(plane, w, h, hashSide, hashSide)
	var f Fingerprint
	f.Hash = hashOf(small)
	thumb := resizePlane(small, hashSide, hashSide, 16, 16)
	copy(f.Thumb[:], thumb)
	return f
}

// Correlation is the Pearson correlation of two thumbnails: near 1 for the
// same radiograph even after re-windowing, lower for different ones.
func (f Fingerprint) Correlation(o Fingerprint) float64 {
	var ma, mb float64
	for i := range f.Thumb {
		ma += float64(f.Thumb[i])
		mb += float64(o.Thumb[i])
	}
	n := float64(len(f.Thumb))
	ma, mb = ma/n, mb/n
	var sab, saa, sbb float64
	for i := range f.Thumb {
		a, b := float64(f.Thumb[i])-ma, float64(o.Thumb[i])-mb
		sab += a * b
		saa += a * a
		sbb += b * b
	}
	if saa == 0 || sbb == 0 {
		if saa == sbb {
			return 1
		}
		return 0
	}
	return sab / math.Sqrt(saa*sbb)
}
