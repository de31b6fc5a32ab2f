package sftexport

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/cxrkit/cxrkit/imaging"
)

// loadedImage is an image ready for the images column.
type loadedImage struct {
	data      []byte
	name      string
	converted bool // not PNG at the source (JPEG, DICOM): re-encoded as PNG
	resized   bool
}

// loadImage reads an image file and returns PNG bytes: the file's own
// bytes when it is a PNG and no resize is asked (byte-exact), else a
// decoded, optionally fitted, re-encoded PNG.
func loadImage(path string, resize int) (loadedImage, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return loadedImage{}, err
	}
	name := filepath.Base(path)
	format := imaging.Sniff(data[:min(len(data), 132)])
	if format == imaging.Unknown {
		return loadedImage{}, fmt.Errorf("%s: not a PNG, JPEG or DICOM image", path)
	}
	if format == imaging.PNG && resize <= 0 {
		return loadedImage{data: data, name: name}, nil
	}
	img, _, err := imaging.Decode(bytes.NewReader(data))
	if err != nil {
		return loadedImage{}, fmt.Errorf("%s: %w", path, err)
	}
	out := loadedImage{converted: format != imaging.PNG}
	if resize > 0 {
		fitted := imaging.FitLongSide(img, resize)
		out.resized = fitted != img
		img = fitted
	}
	if format == imaging.PNG && !out.resized {
		// Already small enough: keep the original bytes.
		return loadedImage{data: data, name: name}, nil
	}
	if out.data, err = imaging.PNGBytes(img, true); err != nil {
		return loadedImage{}, fmt.Errorf("%s: %w", path, err)
	}
	out.name = strings.TrimSuffix(name, filepath.Ext(name)) + ".png"
	return out, nil
}

// checkImage probes an image's header without decoding its pixels.
func checkImage(path string) error {
	_, err := imaging.Probe(path)
	return err
}
