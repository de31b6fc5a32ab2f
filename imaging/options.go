package imaging

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sync"
)

// Options bound what decoding may cost. Every check happens on the
// declared size in the file's header, before pixels are allocated.
type Options struct {
	// MaxPixels bounds width × height of an image (default 50 megapixels,
	// far above any radiograph).
	MaxPixels int64 `yaml:"max_pixels"`
	// MaxBytes bounds the file read into memory and the decoder's working
	// memory for one image (default 512 MiB; stages take it in MiB as
	// --max-image-mb).
	MaxBytes int64 `yaml:"max_bytes"`
	// Archives, when set, keeps the zip archives of ARCHIVE.zip!MEMBER
	// paths open between reads (nil: each read opens its archive).
	Archives *ArchiveCache `yaml:"-"`
}

// Budget is the decode budget of a stage's two settings: pixels, and
// bytes in MiB (--max-image-mb). Zero or negative values mean Defaults.
func Budget(maxPixels, maxImageMB int64) Options {
	o := Options{MaxPixels: maxPixels}
	if maxImageMB > 0 && maxImageMB <= math.MaxInt64>>20 {
		o.MaxBytes = maxImageMB << 20
	}
	return o
}

// DefaultMaxImageMB is Defaults().MaxBytes in MiB, for stage defaults and
// flags.
func DefaultMaxImageMB() int64 { return Defaults().MaxBytes >> 20 }

// Defaults are the decode budgets used when none are given.
func Defaults() Options {
	return Options{MaxPixels: 50_000_000, MaxBytes: 512 << 20}
}

// withDefaults fills unset budgets from Defaults, so a zero Options is
// never an unbounded one.
func (o Options) withDefaults() Options {
	d := Defaults()
	if o.MaxPixels <= 0 {
		o.MaxPixels = d.MaxPixels
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = d.MaxBytes
	}
	return o
}

// Errors a caller can tell apart: an image over the budget is refused
// (HTTP 413), a file that is no image cxrkit reads is unsupported (415),
// and a damaged one is malformed (422).
var (
	ErrOverBudget  = errors.New("image over the decode budget")
	ErrUnsupported = errors.New("unsupported image")
	ErrMalformed   = errors.New("malformed image")
	ErrNotRegular  = errors.New("not a regular file")
)

// checkSize refuses declared dimensions outside the budget; bytesPerPixel
// is the decoder's working memory per pixel.
func (o Options) checkSize(w, h int64, bytesPerPixel int64) error {
	if w <= 0 || h <= 0 {
		return fmt.Errorf("%w: image is %dx%d", ErrMalformed, w, h)
	}
	if w > o.MaxPixels || h > o.MaxPixels || w*h > o.MaxPixels {
		return fmt.Errorf("%w: %dx%d is more than %d pixels (--max-pixels)", ErrOverBudget, w, h, o.MaxPixels)
	}
	if need := w * h * bytesPerPixel; need > o.MaxBytes {
		return fmt.Errorf("%w: decoding %dx%d needs about %d MiB, budget %d MiB (--max-image-mb)", ErrOverBudget, w, h, need>>20, o.MaxBytes>>20)
	}
	return nil
}

// openRegular opens path for reading only if it is a regular file: a FIFO
// or device would block or never end. The size is checked against the
// byte budget.
func (o Options) openRegular(path string) (*os.File, int64, error) {
	f, size, err := openRegularFile(path)
	if err != nil {
		return nil, 0, err
	}
	o = o.withDefaults()
	if size > o.MaxBytes {
		f.Close()
		return nil, 0, fmt.Errorf("%s: %w: file is %d MiB, budget %d MiB (--max-image-mb)", path, ErrOverBudget, size>>20, o.MaxBytes>>20)
	}
	return f, size, nil
}

// openRegularFile opens path for reading only if it is a regular file,
// whatever its size.
func openRegularFile(path string) (*os.File, int64, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, 0, err
	}
	if !st.Mode().IsRegular() {
		return nil, 0, fmt.Errorf("%s: %w (%s)", path, ErrNotRegular, st.Mode().Type())
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	// The file may have been swapped between Stat and Open.
	st2, err := f.Stat()
	if err != nil || !st2.Mode().IsRegular() {
		f.Close()
		return nil, 0, fmt.Errorf("%s: %w", path, ErrNotRegular)
	}
	return f, st2.Size(), nil
}

// Open opens an image for reading: a regular file or a zip member
// (ARCHIVE.zip!MEMBER), no larger than the byte budget.
func (o Options) Open(path string) (io.ReadCloser, error) {
	f, _, err := o.openImage(path)
	return f, err
}

// ReadFile reads an image into memory: a regular file or a zip member
// (ARCHIVE.zip!MEMBER), no larger than the byte budget.
func (o Options) ReadFile(path string) ([]byte, error) {
	return o.appendFile(nil, path)
}

// LendFile reads an image as ReadFile does, but into a buffer reused from
// one call to the next, and passes its bytes to use, which must not keep
// them (nor anything sharing their memory) once it returns. A batch that
// decodes and re-encodes each image then neither allocates nor faults in
// fresh pages for every file it reads. The error is ReadFile's or use's.
func (o Options) LendFile(path string, use func(data []byte) error) error {
	buf := fileBuffers.Get().(*[]byte)
	data, err := o.appendFile((*buf)[:0], path)
	if err == nil {
		err = use(data)
	}
	if data != nil {
		*buf = data[:0]
	}
	if cap(*buf) <= maxPooledBuffer {
		fileBuffers.Put(buf)
	}
	return err
}

// fileBuffers keep the bytes of one file LendFile reads at a time.
var fileBuffers = sync.Pool{New: func() any { return new([]byte) }}

// appendFile reads an image into dst's room, grown to the declared size
// (within the budget, checked by openImage) before reading.
func (o Options) appendFile(dst []byte, path string) ([]byte, error) {
	f, size, err := o.openImage(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data := dst[:0]
	if cap(data) < int(size)+1 {
		// make, not slices.Grow: memory fresh from the system is not
		// cleared (and faulted in) once more before the read fills it.
		data = make([]byte, 0, size+1)
	}
	data, err = readAllLimited(f, data, o.withDefaults().MaxBytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return data, nil
}

// readAllLimited appends r to buf, failing beyond limit bytes.
func readAllLimited(r io.Reader, buf []byte, limit int64) ([]byte, error) {
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > limit {
			return nil, fmt.Errorf("%w: more than %d MiB (--max-image-mb)", ErrOverBudget, limit>>20)
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}
