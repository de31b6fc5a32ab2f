package imaging

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// unfilterRowReference is the specification's unfiltering, byte by byte
// (the earlier unfilterRow): the specialised loops must give its bytes.
func unfilterRowReference(filter byte, cur, prev []byte, bpp int) bool {
	if filter > 4 {
		return false
	}
	for i := range cur {
		var a, b, c int
		if i >= bpp {
			a, c = int(cur[i-bpp]), int(prev[i-bpp])
		}
		b = int(prev[i])
		var pred int
		switch filter {
		case 0:
		case 1:
			pred = a
		case 2:
			pred = b
		case 3:
			pred = (a + b) / 2
		case 4:
			pred = paethReference(a, b, c)
		}
		cur[i] += uint8(pred)
	}
	return true
}

func paethReference(a, b, c int) int {
	p := a + b - c
	pa, pb, pc := absInt(p-a), absInt(p-b), absInt(p-c)
	if pa <= pb && pa <= pc {
		return a
	}
	if pb <= pc {
		return b
	}
	return c
}

// TestPaeth1Exhaustive checks the interval form of the one-byte Paeth
// filter for every left, above and above-left value: row [c, b] above,
// the first byte unfiltering to a (its own predictor is c), the second
// to the Paeth prediction plus x.
func TestPaeth1Exhaustive(t *testing.T) {
	var pt paethTable
	pt.init()
	for a := range 256 {
		for b := range 256 {
			for c := range 256 {
				x := uint8(a*7 + b*3 + c)
				cur, prev := []byte{uint8(a - c), x}, []byte{uint8(c), uint8(b)}
				paeth1(cur, prev, &pt)
				if want := uint8(paethReference(a, b, c)) + x; cur[0] != uint8(a) || cur[1] != want {
					t.Fatalf("a=%d b=%d c=%d: got %v, want [%d %d]", a, b, c, cur, a, want)
				}
			}
		}
	}
}

// TestUnfilterRowMatchesReference compares every filter, at one and two
// bytes per pixel, with the byte-by-byte reference on noise and smooth
// rows of lengths around the eight-byte steps of up.
func TestUnfilterRowMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var pt paethTable
	pt.init()
	for _, bpp := range []int{1, 2} {
		for _, n := range []int{1, 2, 3, 7, 8, 9, 15, 16, 17, 64, 1023, 1024} {
			n *= bpp
			for _, smooth := range []bool{false, true} {
				for filter := range byte(6) {
					cur, prev := make([]byte, n), make([]byte, n)
					for i := range cur {
						if smooth {
							cur[i], prev[i] = uint8(rng.IntN(5)), uint8(100+i/7+rng.IntN(3))
						} else {
							cur[i], prev[i] = uint8(rng.IntN(256)), uint8(rng.IntN(256))
						}
					}
					want := bytes.Clone(cur)
					wok := unfilterRowReference(filter, want, prev, bpp)
					got := bytes.Clone(cur)
					if ok := unfilterRow(filter, got, prev, bpp, &pt); ok != wok || !bytes.Equal(got, want) {
						t.Fatalf("bpp %d, %d bytes, filter %d, smooth %v: got %v %v, want %v %v", bpp, n, filter, smooth, ok, got, wok, want)
					}
				}
			}
		}
	}
}

func FuzzUnfilterRow(f *testing.F) {
	f.Add(byte(4), byte(1), []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18})
	f.Add(byte(3), byte(2), []byte{200, 100, 50, 25, 12, 6, 3, 1})
	f.Add(byte(2), byte(1), []byte{255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1})
	f.Fuzz(func(t *testing.T, filter, bpp byte, data []byte) {
		n := int(bpp%2) + 1
		half := len(data) / 2 / n * n
		if half == 0 {
			return // a PNG row holds at least one pixel
		}
		prev, cur := data[:half], bytes.Clone(data[half:2*half])
		want := bytes.Clone(cur)
		wok := unfilterRowReference(filter, want, prev, n)
		var pt paethTable
		pt.init()
		if ok := unfilterRow(filter, cur, prev, n, &pt); ok != wok || (ok && !bytes.Equal(cur, want)) {
			t.Fatalf("filter %d bpp %d: got %v %v, want %v %v", filter, n, ok, cur, wok, want)
		}
	})
}
