package imaging

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// dcm builds a DICOM Part 10 file (explicit VR little endian) from raw
// elements, so tests can write headers no library would. The meta group
// carries its group length, as written files do: without it the DICOM
// library cxrkit used before refused the file early, and the attack files
// would not have shown its crashes (with it, each one died there with
// "fatal error: out of memory").
func dcm(elems ...[]byte) []byte {
	out := make([]byte, 128, 1024)
	out = append(out, "DICM"...)
	ts := el(0x0002, 0x0010, "UI", []byte(syntaxExplicitLE+"\x00"))
	out = append(out, el(0x0002, 0x0000, "UL", binary.LittleEndian.AppendUint32(nil, uint32(len(ts))))...)
	out = append(out, ts...)
	for _, e := range elems {
		out = append(out, e...)
	}
	return out
}

// el encodes one explicit VR little endian element with its true length.
func el(group, elem uint16, vr string, val []byte) []byte {
	return elLen(group, elem, vr, uint32(len(val)), val)
}

// elLen encodes an element declaring length n, whatever val holds.
func elLen(group, elem uint16, vr string, n uint32, val []byte) []byte {
	b := binary.LittleEndian.AppendUint16(nil, group)
	b = binary.LittleEndian.AppendUint16(b, elem)
	b = append(b, vr...)
	switch vr {
	case "OB", "OW", "SQ", "UN", "UT":
		b = append(b, 0, 0)
		b = binary.LittleEndian.AppendUint32(b, n)
	default:
		b = binary.LittleEndian.AppendUint16(b, uint16(n))
	}
	return append(b, val...)
}

func us(v uint16) []byte { return binary.LittleEndian.AppendUint16(nil, v) }

// imageHeader is Rows, Columns and the usual grey 16-bit description.
func imageHeader(rows, cols uint16, frames string) [][]byte {
	e := [][]byte{
		el(0x0028, 0x0002, "US", us(1)),
		el(0x0028, 0x0004, "CS", []byte("MONOCHROME2 ")),
	}
	if frames != "" {
		e = append(e, el(0x0028, 0x0008, "IS", []byte(frames)))
	}
	return append(e,
		el(0x0028, 0x0010, "US", us(rows)),
		el(0x0028, 0x0011, "US", us(cols)),
		el(0x0028, 0x0100, "US", us(16)),
		el(0x0028, 0x0101, "US", us(16)),
		el(0x0028, 0x0103, "US", us(0)))
}

// hugeFramesDICOM is the 1×1 image claiming 2^35 frames with empty
// PixelData that made the old decoder's size arithmetic wrap and then
// allocate per frame until the process died.
func hugeFramesDICOM() []byte {
	return dcm(append(imageHeader(1, 1, "34359738368"), el(0x7FE0, 0x0010, "OW", nil))...)
}

// hugeElementDICOM is a tiny header with one element declaring 3.6 GB,
// which the old header parser allocated before reading.
func hugeElementDICOM() []byte {
	return dcm(elLen(0x0008, 0x0016, "OB", 0xE0000000, []byte("x")))
}

// hugePNG is a valid PNG header declaring w×h 16-bit RGBA with no pixels.
func hugePNG(w, h uint32) []byte {
	png, _ := PNGBytes(image.NewGray(image.Rect(0, 0, 1, 1)), true)
	binary.BigEndian.PutUint32(png[16:], w)
	binary.BigEndian.PutUint32(png[20:], h)
	png[24], png[25] = 16, 6 // 16 bits, RGBA
	binary.BigEndian.PutUint32(png[29:], crc32.ChecksumIEEE(png[12:29]))
	return png
}

func TestHostileImagesRefusedCheaply(t *testing.T) {
	mismatch := dcm(append(imageHeader(4, 4, "1"), el(0x7FE0, 0x0010, "OW", make([]byte, 10)))...)
	deep := []byte{}
	for range 40 {
		deep = append(deep, elLen(0x0008, 0x1111, "SQ", undefinedLength, nil)...)
		deep = append(deep, 0xFE, 0xFF, 0x00, 0xE0, 0xFF, 0xFF, 0xFF, 0xFF) // item, undefined length
	}
	tests := []struct {
		name string
		data []byte
		want error
	}{
		{"NumberOfFrames 2^35", hugeFramesDICOM(), ErrUnsupported},
		{"element declaring 3.6 GB", hugeElementDICOM(), ErrMalformed},
		{"pixel data length disagrees with the header", mismatch, ErrMalformed},
		{"sequences nested 40 deep", dcm(deep), ErrMalformed},
		{"PNG declaring 16384x16384 RGBA64", hugePNG(16384, 16384), ErrOverBudget},
		{"DICOM declaring 65535x65535", dcm(append(imageHeader(65535, 65535, ""), elLen(0x7FE0, 0x0010, "OW", 0xFFFFFFFE, nil))...), ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			start := time.Now()
			_, _, err := Decode(bytes.NewReader(tt.data))
			if !errors.Is(err, tt.want) {
				t.Fatalf("Decode err = %v, want %v", err, tt.want)
			}
			runtime.ReadMemStats(&after)
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20 {
				t.Errorf("refusing a %d-byte file allocated %d bytes", len(tt.data), alloc)
			}
			if d := time.Since(start); d > time.Second {
				t.Errorf("refusing took %v", d)
			}
		})
	}
	if len(hugeFramesDICOM()) > 400 || len(hugeElementDICOM()) > 200 {
		t.Fatalf("attack files grew: %d and %d bytes", len(hugeFramesDICOM()), len(hugeElementDICOM()))
	}
	// Probing sizes (prepare --vindr-images) must refuse the same header.
	if _, err := ProbeReader(bytes.NewReader(hugeElementDICOM())); !errors.Is(err, ErrMalformed) {
		t.Fatalf("ProbeReader err = %v", err)
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "huge.dcm")
	os.WriteFile(p, hugeElementDICOM(), 0o644)
	if _, err := Probe(p); !errors.Is(err, ErrMalformed) {
		t.Fatalf("Probe err = %v", err)
	}
}

func TestMaxPixelsBoundary(t *testing.T) {
	png, _ := PNGBytes(image.NewGray(image.Rect(0, 0, 100, 50)), true)
	for _, tt := range []struct {
		max  int64
		want error
	}{{5000, nil}, {4999, ErrOverBudget}} {
		o := Options{MaxPixels: tt.max}
		if _, _, err := o.Decode(context.Background(), bytes.NewReader(png)); !errors.Is(err, tt.want) {
			t.Errorf("MaxPixels %d: err = %v, want %v", tt.max, err, tt.want)
		}
		dcmData := testDICOM{w: 100, h: 50, values: make([]uint16, 5000), photometric: "MONOCHROME2"}.bytes(t)
		if _, _, err := o.Decode(context.Background(), bytes.NewReader(dcmData)); !errors.Is(err, tt.want) {
			t.Errorf("DICOM MaxPixels %d: err = %v, want %v", tt.max, err, tt.want)
		}
	}
}

func TestDecodeStopsAtDeadline(t *testing.T) {
	g := image.NewGray(image.Rect(0, 0, 3000, 3000))
	for i := range g.Pix {
		g.Pix[i] = uint8(i * 31 >> 3)
	}
	png, _ := PNGBytes(g, false)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := Defaults().Decode(ctx, bytes.NewReader(png)); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	dcmData := testDICOM{w: 300, h: 300, values: make([]uint16, 90000), photometric: "MONOCHROME2"}.bytes(t)
	if _, _, err := Defaults().Decode(ctx, bytes.NewReader(dcmData)); !errors.Is(err, context.Canceled) {
		t.Fatalf("DICOM err = %v, want context.Canceled", err)
	}
}

func TestOnlyRegularFilesAreOpened(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "image.png")
	if err := mkfifo(fifo); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	done := make(chan error, 3)
	go func() { _, _, err := DecodeFile(fifo); done <- err }()
	go func() { _, err := Probe(fifo); done <- err }()
	go func() { _, err := Defaults().ReadFile(fifo); done <- err }()
	for range 3 {
		select {
		case err := <-done:
			if !errors.Is(err, ErrNotRegular) {
				t.Fatalf("err = %v, want ErrNotRegular", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("opening a FIFO blocked")
		}
	}
}

// TestAttackFilesUnderAddressSpaceLimit decodes the attack files in a
// child process limited to 1 GB of address space (ulimit -v): a decoder
// that reserves gigabytes dies there even if it would never touch them.
func TestAttackFilesUnderAddressSpaceLimit(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's shadow memory does not fit under ulimit -v")
	}
	if os.Getenv("CXRKIT_ATTACK_CHILD") == "1" {
		for _, data := range [][]byte{hugeFramesDICOM(), hugeElementDICOM(), hugePNG(16384, 16384)} {
			if _, _, err := Decode(bytes.NewReader(data)); err == nil {
				t.Fatal("attack file decoded")
			}
		}
		return
	}
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	cmd := exec.Command("sh", "-c", `ulimit -v 1000000 && exec "$0" -test.run '^TestAttackFilesUnderAddressSpaceLimit$'`, os.Args[0])
	cmd.Env = append(os.Environ(), "CXRKIT_ATTACK_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child under ulimit -v 1000000: %v\n%s", err, out)
	}
}

// TestBudget: --max-image-mb becomes the byte budget in MiB; zero,
// negative or overflowing values fall back to the default, never to an
// unbounded or wrapped budget.
func TestBudget(t *testing.T) {
	tests := []struct {
		mb   int64
		want int64
	}{
		{1, 1 << 20},
		{512, 512 << 20},
		{0, Defaults().MaxBytes},
		{-5, Defaults().MaxBytes},
		{1 << 62, Defaults().MaxBytes},
	}
	for _, tt := range tests {
		if got := Budget(7, tt.mb).withDefaults(); got.MaxBytes != tt.want || got.MaxPixels != 7 {
			t.Errorf("Budget(7, %d) = %+v, want MaxBytes %d", tt.mb, got, tt.want)
		}
	}
	if DefaultMaxImageMB()<<20 != Defaults().MaxBytes {
		t.Errorf("DefaultMaxImageMB %d MiB != Defaults().MaxBytes %d", DefaultMaxImageMB(), Defaults().MaxBytes)
	}
}
