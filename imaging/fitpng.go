package imaging

import (
	"bytes"
	"context"
	"image"
	"sync"
)

// FitPNG decodes an image file's bytes, scales it so that its long side
// is at most maxSide and encodes it with the fast PNG writer: the same
// bytes as Decode, FitLongSide and PNGBytes(…, true), with the same
// errors, but for a grey PNG the decoded and the scaled pixels live in
// buffers reused from one image to the next, so a batch of radiographs
// does not allocate (and the collector does not sweep) two images'
// worth of memory per image. An 8-bit grey PNG to be scaled is never
// decoded whole: each row goes to the resizer as soon as it is
// unfiltered, while it is in the cache. It returns the size of the image
// encoded.
func (o Options) FitPNG(ctx context.Context, data []byte, maxSide int) ([]byte, Size, error) {
	o = o.withDefaults()
	bufs := fitBuffers.Get().(*[2][]byte)
	defer func() {
		if cap(bufs[0])+cap(bufs[1]) <= maxPooledBuffer {
			fitBuffers.Put(bufs)
		}
	}()
	fit := fitSink{maxSide: maxSide, pix: bufs[1]}
	defer fit.release()
	img, raw, pooled, err := o.decodePooled(ctx, data, bufs[0], &fit)
	if err != nil {
		return nil, Size{}, err
	}
	switch {
	case pooled && fit.dst != nil:
		bufs[0], bufs[1] = raw[:0], fit.dst.Pix[:0]
		img = fit.dst
	case pooled:
		bufs[0] = raw[:0]
	default:
		var err error
		if img, _, err = o.Decode(ctx, bytes.NewReader(data)); err != nil {
			return nil, Size{}, err
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, Size{}, err
	}
	b := img.Bounds()
	if g, ok := img.(*image.Gray); ok && maxSide > 0 && max(b.Dx(), b.Dy()) > maxSide {
		w, h := fitSize(b.Dx(), b.Dy(), maxSide)
		if cap(bufs[1]) < w*h {
			bufs[1] = make([]byte, w*h)
		}
		img = resizeGray8Into(g, w, h, bufs[1])
	} else {
		img = FitLongSide(img, maxSide)
	}
	out, err := PNGBytes(img, true)
	if err != nil {
		return nil, Size{}, err
	}
	b = img.Bounds()
	return out, Size{Width: b.Dx(), Height: b.Dy()}, nil
}

// fitSink scales the rows of an 8-bit grey PNG longer than maxSide into
// dst (in pix when it is large enough) as the decoder unfilters them.
type fitSink struct {
	maxSide int
	pix     []byte
	r       *gray8Resizer
	dst     *image.Gray
}

func (f *fitSink) start(w, h int) bool {
	if f.maxSide <= 0 || max(w, h) <= f.maxSide {
		return false
	}
	dw, dh := fitSize(w, h, f.maxSide)
	f.r = resizeScratch.Get().(*gray8Resizer)
	f.dst = f.r.start(w, h, dw, dh, f.pix)
	return true
}

func (f *fitSink) feed(row []byte) { f.r.feed(row) }

func (f *fitSink) release() {
	if f.r != nil {
		f.r.release()
		f.r = nil
	}
}

// decodePooled decodes a grey PNG within the budget into buf (grown when
// too small), or hands an 8-bit one to sink (img is then nil). raw is the
// buffer decoded into. pooled is false for anything else, and for
// anything the budget refuses or the grey decoder declines: Decode then
// decides. err is the grey decoder's refusal (Decode's error for the same
// bytes) or ctx's error.
func (o Options) decodePooled(ctx context.Context, data, buf []byte, sink grayRowSink) (img image.Image, raw []byte, pooled bool, err error) {
	if int64(len(data)) > o.MaxBytes || Sniff(data[:min(len(data), 132)]) != PNG {
		return nil, nil, false, nil
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil || o.checkSize(int64(cfg.Width), int64(cfg.Height), decodedBytesPerPixel(PNG, cfg.ColorModel)) != nil {
		return nil, nil, false, nil
	}
	return decodeGrayPNGRows(ctx, data, buf, sink)
}

// fitBuffers keep the decoded and the scaled pixels of one FitPNG at a
// time.
var fitBuffers = sync.Pool{New: func() any { return new([2][]byte) }}
