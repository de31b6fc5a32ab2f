package serve

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/png"
	"net/http"
)

// faviconICO draws the page's icon, a box on a blue tile, as a 32×32 ICO
// holding one PNG (browsers ask for /favicon.ico whatever the page says).
func faviconICO() []byte {
	const n = 32
	img := image.NewNRGBA(image.Rect(0, 0, n, n))
	tile := color.NRGBA{0x1d, 0x5f, 0xa8, 0xff}
	box := color.NRGBA{0xff, 0xb0, 0x00, 0xff}
	for y := range n {
		for x := range n {
			c := tile
			inBox := x >= 8 && x <= 24 && y >= 9 && y <= 23
			onEdge := inBox && (x <= 10 || x >= 22 || y <= 11 || y >= 21)
			if onEdge {
				c = box
			}
			img.SetNRGBA(x, y, c)
		}
	}
	var pngData bytes.Buffer
	_ = png.Encode(&pngData, img) // in-memory encode of a valid image cannot fail
	var ico bytes.Buffer
	_ = binary.Write(&ico, binary.LittleEndian, [3]uint16{0, 1, 1}) // reserved, type icon, one image (a bytes.Buffer write cannot fail)
	ico.Write([]byte{n, n, 0, 0})                                   // width, height, no palette, reserved
	_ = binary.Write(&ico, binary.LittleEndian, [2]uint16{1, 32})   // planes, bits per pixel
	_ = binary.Write(&ico, binary.LittleEndian, [2]uint32{uint32(pngData.Len()), 6 + 16})
	ico.Write(pngData.Bytes())
	return ico.Bytes()
}

func favicon(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "image/x-icon")
	_, _ = w.Write(faviconICO())
}
