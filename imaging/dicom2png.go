package imaging

import (
	"io"
)

// DICOMToPNG converts an uncompressed grey DICOM image to PNG with the
// rescale, VOI window and MONOCHROME1 rules of DecodeDICOM.
func DICOMToPNG(in io.Reader, out io.Writer, opts DICOMOptions) error {
	img, err := DecodeDICOM(in, opts)
	if err != nil {
		return err
	}
	return EncodePNG(out, img, false)
}
