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
// worth of memory per image. It returns the size of the image encoded.
func (o Options) FitPNG(ctx context.Context, data []byte, maxSide int) ([]byte, Size, error) {
	o = o.withDefaults()
	bufs := fitBuffers.Get().(*[2][]byte)
	defer func() {
		if cap(bufs[0])+cap(bufs[1]) <= maxPooledBuffer {
			fitBuffers.Put(bufs)
		}
	}()
	img, pooled, err := o.decodePooled(ctx, data, bufs[0])
	if err != nil {
		return nil, Size{}, err
	}
	if pooled {
		bufs[0] = pixOf(img)[:0]
	} else {
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

// decodePooled decodes a grey PNG within the budget into buf (grown when
// too small). pooled is false for anything else, and for anything the
// budget refuses or the grey decoder declines: Decode then decides. err
// is the grey decoder's refusal (Decode's error for the same bytes) or
// ctx's error.
func (o Options) decodePooled(ctx context.Context, data, buf []byte) (image.Image, bool, error) {
	if int64(len(data)) > o.MaxBytes || Sniff(data[:min(len(data), 132)]) != PNG {
		return nil, false, nil
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil || o.checkSize(int64(cfg.Width), int64(cfg.Height), decodedBytesPerPixel(PNG, cfg.ColorModel)) != nil {
		return nil, false, nil
	}
	return decodeGrayPNGInto(ctx, data, buf)
}

func pixOf(img image.Image) []byte {
	switch g := img.(type) {
	case *image.Gray:
		return g.Pix
	case *image.Gray16:
		return g.Pix
	}
	return nil
}

// fitBuffers keep the decoded and the scaled pixels of one FitPNG at a
// time.
var fitBuffers = sync.Pool{New: func() any { return new([2][]byte) }}
