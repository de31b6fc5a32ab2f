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
// have a fixed length and no per-pixel slicing, and the usual 3-tap
// filter is written out. A flat region stays exactly flat; any pixel is
// within one grey level of the floating-point resample.
func resizeGray8(src *image.Gray, dw, dh int) *image.Gray {
	return resizeGray8Into(src, dw, dh, nil)
}

// resizeGray8Into is resizeGray8 writing into pix when it is large
// enough (the result then shares its memory).
func resizeGray8Into(src *image.Gray, dw, dh int, pix []byte) *image.Gray {
	b := src.Bounds()
	sw, sh := b.Dx(), b.Dy()
	r := resizeScratch.Get().(*gray8Resizer)
	defer r.release()
	dst := r.start(sw, sh, dw, dh, pix)
	for y := 0; y < sh; y++ {
		row := src.Pix[src.PixOffset(b.Min.X, b.Min.Y+y):]
		r.feed(row[:sw])
	}
	return dst
}

// gray8Resizer is resizeGray8 taking the source rows one at a time, top
// to bottom (feed), so that a decoder can hand over each row while it is
// still in the cache: the horizontal pass of the last rows the vertical
// filter needs is kept in a ring of vy.n rows, and an output row is
// written as soon as its last source row has come. The weights of the
// last sizes are kept for the next image of the same size.
type gray8Resizer struct {
	sw, sh, dw, dh int
	hx, vy         paddedWeights
	// ring holds the horizontal pass of source row sy in slot
	// sy%(vy.n+1): (dw+1)/2 words, each two outputs in 8.8 fixed point,
	// output 2i in the low 32 bits of word i and output 2i+1 in the high
	// ones. The extra slot lets two source rows be added before the
	// output rows they complete are written.
	ring []uint64
	rows [][]uint64 // scratch: the ring slots of one output row, in order
	// pair is scratch for two source rows interleaved, a pixel of each
	// per word, so that the horizontal pass does both at once.
	pair    []uint64
	pending []byte // an even source row waiting for the next one
	dst     *image.Gray
	sy      int // source rows fed so far
	y       int // output rows written so far
}

// resizeScratch keeps one gray8Resizer (its weights and ring) at a time.
var resizeScratch = sync.Pool{New: func() any { return new(gray8Resizer) }}

func (r *gray8Resizer) release() {
	r.dst, r.pending = nil, nil
	if (cap(r.ring)+cap(r.pair))*8 <= maxPooledBuffer {
		resizeScratch.Put(r)
	}
}

// start prepares r for a sw×sh source scaled to dw×dh, the result in pix
// when it is large enough.
func (r *gray8Resizer) start(sw, sh, dw, dh int, pix []byte) *image.Gray {
	if r.sw != sw || r.dw != dw {
		r.hx = horizontalTaps(fixedTaps(weights(sw, dw)), sw)
	}
	if r.sh != sh || r.dh != dh {
		r.vy = padTaps(fixedTaps(weights(sh, dh)), sh)
	}
	r.sw, r.sh, r.dw, r.dh = sw, sh, dw, dh
	words := (dw + 1) / 2
	r.ring = slices.Grow(r.ring[:0], (r.vy.n+1)*words)[:(r.vy.n+1)*words]
	r.pair = slices.Grow(r.pair[:0], sw)[:sw]
	r.rows = slices.Grow(r.rows[:0], r.vy.n)[:r.vy.n]
	if cap(pix) >= dw*dh {
		r.dst = &image.Gray{Pix: pix[:dw*dh], Stride: dw, Rect: image.Rect(0, 0, dw, dh)} // every pixel is written below
	} else {
		r.dst = image.NewGray(image.Rect(0, 0, dw, dh))
	}
	r.sy, r.y, r.pending = 0, 0, nil
	return r.dst
}

// feed takes the next source row (sw pixels) and writes every output row
// whose source rows have all come. Rows are scaled two at a time: an even
// row must stay as it is until the next feed returns.
func (r *gray8Resizer) feed(row []byte) {
	i, n, words := r.sy, r.vy.n, (r.dw+1)/2
	r.sy++
	slot := func(sy int) []uint64 {
		s := sy % (n + 1)
		return r.ring[s*words : (s+1)*words]
	}
	switch {
	case i%2 == 0 && i+1 < r.sh:
		r.pending = row
		return
	case i%2 == 1:
		r.hx.applyPair(r.pending, row, slot(i-1), slot(i), r.pair)
		r.pending = nil
	default:
		r.hx.apply(row, slot(i))
	}
	for ; r.y < r.dh && r.vy.start[r.y]+n-1 <= i; r.y++ {
		first := r.vy.start[r.y]
		for k := range r.rows {
			r.rows[k] = slot(first + k)
		}
		out := r.dst.Pix[r.y*r.dw : (r.y+1)*r.dw]
		verticalRow(out, r.rows, r.vy.w[r.y*n:(r.y+1)*n])
	}
}

// paddedWeights are taps in 2.14 fixed point, n per output: output i
// reads w[i*n:(i+1)*n] from source sample start[i]. Outputs with fewer
// taps are padded with zero weights, start moved so they stay inside the
// source.
type paddedWeights struct {
	n     int
	start []int
	w     []uint16
	// t3 is start and w again, one record per output, when n is 3,
	// grouped by two (the outputs a word of the horizontal pass holds),
	// with a zero record after an odd number of outputs.
	t3 [][2]tap3
	// blocks are the vector kernel's tables of the horizontal pass, when
	// there is one and horizontalTaps built them (see horizontal_amd64.go).
	blocks horizontalBlocks
}

type tap3 struct {
	s int
	w [3]uint64
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
	if n == 3 {
		p.t3 = make([][2]tap3, (len(p.start)+1)/2)
		for i, s := range p.start {
			p.t3[i/2][i%2] = tap3{s, [3]uint64{uint64(p.w[3*i]), uint64(p.w[3*i+1]), uint64(p.w[3*i+2])}}
		}
	}
	return p
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
		// than 2 at three taps, the fast path of applyGo and verticalRowGo.
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
