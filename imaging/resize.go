package imaging

import (
	"image"
	"math"

	xdraw "golang.org/x/image/draw"
)

// FitLongSide scales img so that its long side is at most n pixels,
// keeping the aspect ratio. An image already small enough is returned as is
// (same value, no copy). Grey images stay grey at their bit depth.
func FitLongSide(img image.Image, n int) image.Image {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	long := max(w, h)
	if n <= 0 || long <= n {
		return img
	}
	nw := max(1, int(math.Round(float64(w)*float64(n)/float64(long))))
	nh := max(1, int(math.Round(float64(h)*float64(n)/float64(long))))
	return Resize(img, nw, nh)
}

// Resize scales img to exactly w×h with an antialiased triangle filter.
func Resize(img image.Image, w, h int) image.Image {
	switch src := img.(type) {
	case *image.Gray:
		return resizeGray8(src, w, h)
	case *image.Gray16:
		plane := gray16Plane(src)
		out := resizePlane(plane, src.Bounds().Dx(), src.Bounds().Dy(), w, h)
		dst := image.NewGray16(image.Rect(0, 0, w, h))
		for i, v := range out {
			x := uint16(min(max(math.Round(float64(v)), 0), 65535))
			dst.Pix[2*i], dst.Pix[2*i+1] = byte(x>>8), byte(x)
		}
		return dst
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	xdraw.CatmullRom.Scale(dst, dst.Bounds(), img, img.Bounds(), xdraw.Src, nil)
	return dst
}

func grayPlane(g *image.Gray) []float32 {
	b := g.Bounds()
	out := make([]float32, 0, b.Dx()*b.Dy())
	for y := b.Min.Y; y < b.Max.Y; y++ {
		row := g.Pix[(y-b.Min.Y)*g.Stride:]
		for x := 0; x < b.Dx(); x++ {
			out = append(out, float32(row[x]))
		}
	}
	return out
}

func gray16Plane(g *image.Gray16) []float32 {
	b := g.Bounds()
	out := make([]float32, 0, b.Dx()*b.Dy())
	for y := b.Min.Y; y < b.Max.Y; y++ {
		row := g.Pix[(y-b.Min.Y)*g.Stride:]
		for x := 0; x < b.Dx(); x++ {
			out = append(out, float32(uint16(row[2*x])<<8|uint16(row[2*x+1])))
		}
	}
	return out
}

// GrayPlane returns img as a row-major plane of grey levels scaled to
// [0,1], whatever its colour model.
func GrayPlane(img image.Image) ([]float32, int, int) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	switch g := img.(type) {
	case *image.Gray:
		p := grayPlane(g)
		for i := range p {
			p[i] /= 255
		}
		return p, w, h
	case *image.Gray16:
		p := gray16Plane(g)
		for i := range p {
			p[i] /= 65535
		}
		return p, w, h
	}
	p := make([]float32, 0, w*h)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, gg, bb, _ := img.At(x, y).RGBA()
			p = append(p, float32(0.299*float64(r)+0.587*float64(gg)+0.114*float64(bb))/65535)
		}
	}
	return p, w, h
}

// resizePlane resamples a plane separably: rows first, then columns.
func resizePlane(src []float32, sw, sh, dw, dh int) []float32 {
	cx := weights(sw, dw)
	tmp := make([]float32, dw*sh)
	for y := 0; y < sh; y++ {
		row := src[y*sw : (y+1)*sw]
		out := tmp[y*dw : (y+1)*dw]
		for x, c := range cx {
			var s float32
			for k, wt := range c.w {
				s += row[c.start+k] * wt
			}
			out[x] = s
		}
	}
	cy := weights(sh, dh)
	dst := make([]float32, dw*dh)
	for y, c := range cy {
		out := dst[y*dw : (y+1)*dw]
		for k, wt := range c.w {
			in := tmp[(c.start+k)*dw : (c.start+k+1)*dw]
			for x := range out {
				out[x] += in[x] * wt
			}
		}
	}
	return dst
}

// resizeGray8 is resizePlane for 8-bit grey in integers: weights in
// 2.14 fixed point summing exactly to one, the horizontal pass into 8.8
// fixed point, the vertical pass accumulated a whole row at a time, so
// the inner loops are plain multiply-adds over contiguous memory. A flat
// region stays exactly flat; any pixel is within one grey level of the
// floating-point resample.
func resizeGray8(src *image.Gray, dw, dh int) *image.Gray {
	b := src.Bounds()
	sw, sh := b.Dx(), b.Dy()
	hx := fixedTaps(weights(sw, dw))
	tmp := make([]uint16, dw*sh)
	for y := 0; y < sh; y++ {
		row := src.Pix[src.PixOffset(b.Min.X, b.Min.Y+y):]
		row = row[:sw]
		out := tmp[y*dw : (y+1)*dw]
		for x := range out {
			start, w := hx.taps(x)
			taps := row[start : start+len(w)]
			var acc int32
			for k, wt := range w {
				acc += int32(taps[k]) * int32(wt)
			}
			out[x] = uint16((acc + 1<<5) >> 6) // 8.14 -> 8.8
		}
	}
	vy := fixedTaps(weights(sh, dh))
	dst := image.NewGray(image.Rect(0, 0, dw, dh))
	line := make([]uint32, dw)
	for y := 0; y < dh; y++ {
		clear(line)
		start, w := vy.taps(y)
		for k, wt := range w {
			in := tmp[(start+k)*dw : (start+k+1)*dw]
			in = in[:len(line)]
			for x, v := range in {
				line[x] += uint32(v) * uint32(wt)
			}
		}
		out := dst.Pix[y*dst.Stride : y*dst.Stride+dw]
		for x, v := range line {
			out[x] = uint8((v + 1<<21) >> 22) // 8.22 -> 8
		}
	}
	return dst
}

// fixedWeights are filter taps in 2.14 fixed point, flattened: output i
// reads w[off[i]:off[i+1]] starting at source sample start[i].
type fixedWeights struct {
	start []int
	off   []int
	w     []uint16
}

func (f *fixedWeights) taps(i int) (int, []uint16) {
	return f.start[i], f.w[f.off[i]:f.off[i+1]]
}

// fixedTaps rounds weights to 2.14 fixed point and gives the rounding
// error to the largest tap, so every output's taps sum to exactly 1<<14.
func fixedTaps(cs []contrib) fixedWeights {
	f := fixedWeights{start: make([]int, len(cs)), off: make([]int, len(cs)+1)}
	for i, c := range cs {
		f.start[i] = c.start
		sum, big := 0, len(f.w)
		for _, wt := range c.w {
			q := int(wt*(1<<14) + 0.5)
			f.w = append(f.w, uint16(q))
			sum += q
			if q > int(f.w[big]) {
				big = len(f.w) - 1
			}
		}
		f.w[big] = uint16(int(f.w[big]) + 1<<14 - sum)
		f.off[i+1] = len(f.w)
	}
	return f
}

type contrib struct {
	start int
	w     []float32
}

// weights computes triangle-filter taps mapping n source samples to m,
// widened by the scale factor when shrinking so every source pixel counts.
func weights(n, m int) []contrib {
	scale := float64(n) / float64(m)
	support := math.Max(scale, 1)
	out := make([]contrib, m)
	for i := range out {
		center := (float64(i)+0.5)*scale - 0.5
		lo := max(int(math.Floor(center-support)), 0)
		hi := min(int(math.Ceil(center+support)), n-1)
		c := contrib{start: lo}
		var sum float64
		ws := make([]float64, 0, hi-lo+1)
		for j := lo; j <= hi; j++ {
			wt := math.Max(0, 1-math.Abs(float64(j)-center)/support)
			ws = append(ws, wt)
			sum += wt
		}
		if sum == 0 {
			ws = []float64{1}
			c.start = min(max(int(math.Round(center)), 0), n-1)
			sum = 1
		}
		for _, wt := range ws {
			c.w = append(c.w, float32(wt/sum))
		}
		out[i] = c
	}
	return out
}
