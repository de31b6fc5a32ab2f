package infer

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"image"
	"image/png"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/imaging"
)

// TestEncodeImageFromZipMember: audit (and serve's audit of a case) sends
// an image named ARCHIVE.zip!MEMBER as it sends a file: the member's own
// bytes when small enough, decoded and scaled when not, and a missing
// member is "image file not found".
func TestEncodeImageFromZipMember(t *testing.T) {
	img := image.NewGray(image.Rect(0, 0, 40, 30))
	for i := range img.Pix {
		img.Pix[i] = byte(i)
	}
	var pngData bytes.Buffer
	png.Encode(&pngData, img)
	archive := filepath.Join(t.TempDir(), "images_001.zip")
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("images/00000001_000.png")
	w.Write(pngData.Bytes())
	zw.Close()
	if err := os.WriteFile(archive, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	ref := cxrkit.ImageRef{Source: cxrkit.SourceNIH, ImageID: "00000001_000", Path: imaging.MemberPath(archive, "images/00000001_000.png")}
	enc, err := EncodeImage(context.Background(), ref, ImageOptions{MaxSide: 896})
	if err != nil || !bytes.Equal(enc.Data, pngData.Bytes()) || enc.Sent != (Size{Width: 40, Height: 30}) {
		t.Fatalf("as is: %v, %d bytes, sent %v; want the member's %d bytes, 40x30", err, len(enc.Data), enc.Sent, pngData.Len())
	}
	enc, err = EncodeImage(context.Background(), ref, ImageOptions{MaxSide: 20})
	if err != nil || enc.Sent != (Size{Width: 20, Height: 15}) {
		t.Fatalf("scaled: %v, sent %v; want 20x15", err, enc.Sent)
	}
	if imageCacheKey(ref, imaging.Options{}) == "" {
		t.Error("no cache key for a member")
	}
	ref.Path = imaging.MemberPath(archive, "images/gone.png")
	_, err = EncodeImage(context.Background(), ref, ImageOptions{})
	var ie *ImageError
	if !errors.As(err, &ie) || !errors.Is(err, fs.ErrNotExist) || ie.Reason() != "image file not found" {
		t.Fatalf("missing member: %v", err)
	}
}
