package imaging

import (
	"bytes"
	"errors"
	"flag"
	"image"
	"image/png"
	"os"
	"strings"
	"testing"

	"github.com/suyashkumar/dicom"
	"github.com/suyashkumar/dicom/pkg/frame"
	"github.com/suyashkumar/dicom/pkg/tag"
	"github.com/suyashkumar/dicom/pkg/uid"
)

// testDICOM describes a DICOM file the tests write themselves.
type testDICOM struct {
	w, h         int
	values       []uint16
	signed       bool
	photometric  string
	slope        string
	intercept    string
	center       string
	width        string
	syntax       string
	encapsulated bool
}

func (d testDICOM) bytes(t testing.TB) []byte {
	t.Helper()
	el := func(tg tag.Tag, v any) *dicom.Element {
		e, err := dicom.NewElement(tg, v)
		if err != nil {
			t.Fatalf("element %v: %v", tg, err)
		}
		return e
	}
	syntax := d.syntax
	if syntax == "" {
		syntax = uid.ExplicitVRLittleEndian
	}
	rep := 0
	if d.signed {
		rep = 1
	}
	elems := []*dicom.Element{
		el(tag.MediaStorageSOPClassUID, []string{"1.2.840.10008.5.1.4.1.1.1.1"}),
		el(tag.MediaStorageSOPInstanceUID, []string{"1.2.3.4.5.6.7"}),
		el(tag.TransferSyntaxUID, []string{syntax}),
		el(tag.Rows, []int{d.h}),
		el(tag.Columns, []int{d.w}),
		el(tag.BitsAllocated, []int{16}),
		el(tag.BitsStored, []int{12}),
		el(tag.HighBit, []int{11}),
		el(tag.PixelRepresentation, []int{rep}),
		el(tag.SamplesPerPixel, []int{1}),
		el(tag.NumberOfFrames, []string{"1"}),
		el(tag.PhotometricInterpretation, []string{d.photometric}),
	}
	for _, kv := range []struct {
		t tag.Tag
		v string
	}{{tag.RescaleSlope, d.slope}, {tag.RescaleIntercept, d.intercept}, {tag.WindowCenter, d.center}, {tag.WindowWidth, d.width}} {
		if kv.v != "" {
			elems = append(elems, el(kv.t, []string{kv.v}))
		}
	}
	px := dicom.PixelDataInfo{Frames: []*frame.Frame{{NativeData: &frame.NativeFrame[uint16]{
		InternalBitsPerSample: 16, InternalRows: d.h, InternalCols: d.w, InternalSamplesPerPixel: 1, RawData: d.values}}}}
	if d.encapsulated {
		px = dicom.PixelDataInfo{IsEncapsulated: true, Frames: []*frame.Frame{{Encapsulated: true,
			EncapsulatedData: frame.EncapsulatedFrame{Data: []byte{0xFF, 0x4F, 0xFF, 0x51, 0, 0}}}}}
	}
	pixelData := el(tag.PixelData, px)
	if d.encapsulated {
		pixelData.ValueLength = tag.VLUndefinedLength
	}
	elems = append(elems, pixelData)
	var buf bytes.Buffer
	if err := dicom.Write(&buf, dicom.Dataset{Elements: elems}, dicom.SkipVRVerification()); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func ramp(n int, step uint16) []uint16 {
	v := make([]uint16, n)
	for i := range v {
		v[i] = uint16(i) * step
	}
	return v
}

func TestProbeDICOM(t *testing.T) {
	data := testDICOM{w: 6, h: 4, values: ramp(24, 100), photometric: "MONOCHROME2"}.bytes(t)
	if Sniff(data) != DICOM {
		t.Fatal("not sniffed as DICOM")
	}
	s, err := ProbeReader(bytes.NewReader(data))
	if err != nil || s != (Size{6, 4}) {
		t.Fatalf("probe = %v, %v", s, err)
	}
}

func TestDecodeDICOMWindowing(t *testing.T) {
	tests := []struct {
		name string
		d    testDICOM
		bits int
		want []uint8 // first pixels, 8-bit
	}{
		{"VOI window", testDICOM{w: 4, h: 1, values: []uint16{0, 100, 200, 300}, photometric: "MONOCHROME2", center: "150", width: "200"}, 8,
			[]uint8{0, 64, 191, 255}},
		{"rescale then window", testDICOM{w: 4, h: 1, values: []uint16{0, 100, 200, 300}, photometric: "MONOCHROME2",
			slope: "2", intercept: "-100", center: "200", width: "400"}, 8, []uint8{0, 64, 191, 255}},
		{"MONOCHROME1 inverts", testDICOM{w: 4, h: 1, values: []uint16{0, 100, 200, 300}, photometric: "MONOCHROME1", center: "150", width: "200"}, 8,
			[]uint8{255, 191, 64, 0}},
		{"percentile window without VOI", testDICOM{w: 3, h: 1, values: []uint16{10, 20, 30}, photometric: "MONOCHROME2"}, 8,
			[]uint8{0, 128, 255}},
		{"signed 12-bit", testDICOM{w: 3, h: 1, values: []uint16{0xFFF, 0, 1}, signed: true, photometric: "MONOCHROME2", center: "0", width: "2"}, 8,
			[]uint8{0, 128, 255}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img, err := DecodeDICOM(bytes.NewReader(tt.d.bytes(t)), DICOMOptions{Bits: tt.bits})
			if err != nil {
				t.Fatal(err)
			}
			g, ok := img.(*image.Gray)
			if !ok {
				t.Fatalf("got %T", img)
			}
			for i, w := range tt.want {
				if g.Pix[i] != w {
					t.Fatalf("pixels %v, want %v", g.Pix[:len(tt.want)], tt.want)
				}
			}
		})
	}
}

func TestDecodeDICOM16Bit(t *testing.T) {
	d := testDICOM{w: 2, h: 1, values: []uint16{0, 4000}, photometric: "MONOCHROME2", center: "2000", width: "4000"}
	img, err := DecodeDICOM(bytes.NewReader(d.bytes(t)), DICOMOptions{Bits: 16})
	if err != nil {
		t.Fatal(err)
	}
	g := img.(*image.Gray16)
	if g.Gray16At(0, 0).Y != 0 || g.Gray16At(1, 0).Y != 65535 {
		t.Fatalf("16-bit pixels %v %v", g.Gray16At(0, 0), g.Gray16At(1, 0))
	}
	png, err := PNGBytes(img, true)
	if err != nil || Sniff(png) != PNG {
		t.Fatal("16-bit PNG encoding failed")
	}
}

func TestDecodeCompressedDICOMNamesSyntax(t *testing.T) {
	d := testDICOM{w: 2, h: 2, photometric: "MONOCHROME2", syntax: "1.2.840.10008.1.2.4.90", encapsulated: true}
	_, err := DecodeDICOM(bytes.NewReader(d.bytes(t)), DICOMOptions{})
	if !errors.Is(err, ErrCompressedDICOM) || !strings.Contains(err.Error(), "JPEG 2000") || !strings.Contains(err.Error(), "1.2.840.10008.1.2.4.90") {
		t.Fatalf("err = %v, want a compressed-syntax error naming JPEG 2000", err)
	}
}

func TestDecodeSniffsFormats(t *testing.T) {
	g := image.NewGray(image.Rect(0, 0, 5, 3))
	png, _ := PNGBytes(g, false)
	img, f, err := Decode(bytes.NewReader(png))
	if err != nil || f != PNG || img.Bounds().Dx() != 5 {
		t.Fatalf("png decode: %v %v", f, err)
	}
	dcm := testDICOM{w: 3, h: 2, values: ramp(6, 1), photometric: "MONOCHROME2"}.bytes(t)
	img, f, err = Decode(bytes.NewReader(dcm))
	if err != nil || f != DICOM || img.Bounds().Dx() != 3 {
		t.Fatalf("dicom decode: %v %v", f, err)
	}
	if _, _, err := Decode(strings.NewReader("GIF89a........")); err == nil {
		t.Fatal("GIF accepted")
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(testDICOM{w: 2, h: 2, values: ramp(4, 7), photometric: "MONOCHROME1"}.bytes(f))
	g := image.NewGray16(image.Rect(0, 0, 3, 3))
	png, _ := PNGBytes(g, true)
	f.Add(png)
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			return
		}
		img, _, err := Decode(bytes.NewReader(data))
		if err == nil && (img.Bounds().Dx() <= 0 || img.Bounds().Dy() <= 0) {
			t.Fatalf("empty image without error")
		}
		ProbeReader(bytes.NewReader(data))
	})
}

var updateFixtures = flag.Bool("update", false, "rewrite test fixtures")

// TestDICOMFixture keeps testdata/mono1_12bit.dcm (a 64×48 MONOCHROME1
// 12-bit gradient with a VOI window, written by testDICOM) and converts it.
func TestDICOMFixture(t *testing.T) {
	path := "testdata/mono1_12bit.dcm"
	if *updateFixtures {
		vals := make([]uint16, 64*48)
		for i := range vals {
			vals[i] = uint16((i % 64) * 64)
		}
		d := testDICOM{w: 64, h: 48, values: vals, photometric: "MONOCHROME1", center: "2048", width: "4096", slope: "1", intercept: "0"}
		os.WriteFile(path, d.bytes(t), 0o644)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out bytes.Buffer
	if err := DICOMToPNG(f, &out, DICOMOptions{Bits: 8}); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&out)
	if err != nil {
		t.Fatal(err)
	}
	g := img.(*image.Gray)
	if g.Bounds().Dx() != 64 || g.GrayAt(0, 0).Y != 255 || g.GrayAt(63, 0).Y > 10 {
		t.Fatalf("fixture renders %v: left %d right %d", g.Bounds(), g.GrayAt(0, 0).Y, g.GrayAt(63, 0).Y)
	}
}
