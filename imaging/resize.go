package imaging

import (
	"image"
	"math"
	"slices"
	"sync"

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
	nw, nh := fitSize(w, h, n)
	return Resize(img, nw, nh)
}

// fitSize is the size FitLongSide scales a w×h image to, for a long side
// of n < max(w, h).
func fitSize(w, h, n int) (int, int) {
	long := max(w, h)
	return max(1, int(math.Round(float64(w)*float64(n)/float64(long)))), max(1, int(math.Round(float64(h)*float64(n)/float64(long))))
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
// fixed point, the vertical pass a whole row at a time. Every output reads
// the same number of taps (padded with zero weights), so the inner loops
// have a fixed length and no per-pixel slicing, and the usual 3- and
// 4-tap filters are written out. A flat region stays exactly flat; any
// pixel is within one grey level of the floating-point resample.
func resizeGray8(src *image.Gray, dw, dh int) *image.Gray {
	return resizeGray8Into(src, dw, dh, nil)
}

// resizeGray8Into is resizeGray8 writing into pix when it is large
// enough (the result then shares its memory).
func resizeGray8Into(src *image.Gray, dw, dh int, pix []byte) *image.Gray {
	b := src.Bounds()
	sw, sh := b.Dx(), b.Dy()
	hx := padTaps(fixedTaps(weights(sw, dw)), sw)
	scratch := resizeScratch.Get().(*[]uint16)
	defer func() {
		if cap(*scratch)*2 <= maxPooledBuffer {
			resizeScratch.Put(scratch)
		}
	}()
	tmp := slices.Grow((*scratch)[:0], dw*sh)[:dw*sh] // every element is written below
	*scratch = tmp[:0]
	for y := 0; y < sh; y++ {
		row := src.Pix[src.PixOffset(b.Min.X, b.Min.Y+y):]
		hx.apply(row[:sw], tmp[y*dw:(y+1)*dw])
	}
	vy := padTaps(fixedTaps(weights(sh, dh)), sh)
	var dst *image.Gray
	if cap(pix) >= dw*dh {
		dst = &image.Gray{Pix: pix[:dw*dh], Stride: dw, Rect: image.Rect(0, 0, dw, dh)} // every pixel is written below
	} else {
		dst = image.NewGray(image.Rect(0, 0, dw, dh))
	}
	n := vy.n
	rows, line := make([][]uint16, n), make([]uint32, dw)
	for y := 0; y < dh; y++ {
		start, w := vy.start[y], vy.w[y*n:(y+1)*n]
		for k := range rows {
			rows[k] = tmp[(start+k)*dw : (start+k+1)*dw]
		}
		out := dst.Pix[y*dst.Stride : y*dst.Stride+dw]
		verticalRow(out, rows, w, line)
	}
	return dst
}

// resizeScratch keeps the horizontal pass of one 8-bit resize at a time
// (1.8 MB for 1024 rows of 896).
var resizeScratch = sync.Pool{New: func() any { return new([]uint16) }}

// paddedWeights are taps in 2.14 fixed point, n per output: output i
// reads w[i*n:(i+1)*n] from source sample start[i]. Outputs with fewer
// taps are padded with zero weights, start moved so they stay inside the
// source.
type paddedWeights struct {
	n     int
	start []int
	w     []uint16
}

func padTaps(f fixedWeights, size int) paddedWeights {
	n := 0
	for i := range f.start {
		n = max(n, f.off[i+1]-f.off[i])
	}
	p := paddedWeights{n: n, start: make([]int, len(f.start)), w: make([]uint16, n*len(f.start))}
	for i := range f.start {
		start, w := f.taps(i)
		s := min(start, size-n) // n <= size: a tap reads a distinct source sample
		p.start[i] = s
		copy(p.w[i*n+start-s:], w)
	}
	return p
}

// apply is the horizontal pass of one row into 8.8 fixed point.
func (p paddedWeights) apply(row []byte, out []uint16) {
	n := p.n
	switch n {
	case 3:
		for x := range out {
			s, w := p.start[x], p.w[3*x:3*x+3:3*x+3]
			px := row[s : s+3 : s+3]
			acc := int32(px[0])*int32(w[0]) + int32(px[1])*int32(w[1]) + int32(px[2])*int32(w[2])
			out[x] = uint16((acc + 1<<5) >> 6) // 8.14 -> 8.8
		}
	case 4:
		for x := range out {
			s, w := p.start[x], p.w[4*x:4*x+4:4*x+4]
			px := row[s : s+4 : s+4]
			acc := int32(px[0])*int32(w[0]) + int32(px[1])*int32(w[1]) + int32(px[2])*int32(w[2]) + int32(px[3])*int32(w[3])
			out[x] = uint16((acc + 1<<5) >> 6)
		}
	default:
		for x := range out {
			s, w := p.start[x], p.w[n*x:n*x+n]
			px := row[s : s+n]
			var acc int32
			for k, wt := range w {
				acc += int32(px[k]) * int32(wt)
			}
			out[x] = uint16((acc + 1<<5) >> 6)
		}
	}
}

// verticalRow combines len(w) rows of the horizontal pass into one output
// row: 8.8 fixed point times 2.14 weights, rounded to 8 bits. line is
// scratch of len(out) for filters longer than four taps.
func verticalRow(out []uint8, rows [][]uint16, w []uint16, line []uint32) {
	const half = 1 << 21 // 8.22 -> 8
	switch len(w) {
	case 3:
		a, b, c := rows[0][:len(out)], rows[1][:len(out)], rows[2][:len(out)]
		wa, wb, wc := uint32(w[0]), uint32(w[1]), uint32(w[2])
		for x := range out {
			out[x] = uint8((uint32(a[x])*wa + uint32(b[x])*wb + uint32(c[x])*wc + half) >> 22)
		}
	case 4:
		a, b, c, d := rows[0][:len(out)], rows[1][:len(out)], rows[2][:len(out)], rows[3][:len(out)]
		wa, wb, wc, wd := uint32(w[0]), uint32(w[1]), uint32(w[2]), uint32(w[3])
		for x := range out {
			out[x] = uint8((uint32(a[x])*wa + uint32(b[x])*wb + uint32(c[x])*wc + uint32(d[x])*wd + half) >> 22)
		}
	default:
		line = line[:len(out)]
		clear(line)
		for k, wt := range w {
			in := rows[k][:len(line)]
			for x, v := range in {
				line[x] += uint32(v) * uint32(wt)
			}
		}
		for x, v := range line {
			out[x] = uint8((v + half) >> 22)
		}
	}
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
		// Taps of weight zero read a sample for nothing (a triangle's
		// ends weigh exactly 0, and tiny weights round to 0): dropping
		// them leaves every output the same and keeps the shrink by less
		// than 2 at three taps, the fast path of apply and verticalRow.
		lo := f.off[i]
		for f.w[lo] == 0 {
			lo++
			f.start[i]++
		}
		hi := len(f.w)
		for f.w[hi-1] == 0 {
			hi--
		}
		f.w = append(f.w[:f.off[i]], f.w[lo:hi]...)
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
