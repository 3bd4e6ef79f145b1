package receipt

import (
	"fmt"

	"github.com/boombuler/barcode/qr"
)

// qr draws the QR code of content as vector squares in a size×size square
// whose lower-left corner is (x, y), inside a quiet zone of four modules
// (the standard's minimum) that the square includes. Error correction level
// M survives a crease or a stain on a printed receipt.
func (c *canvas) qr(content string, x, y, size float64) error {
	code, err := qr.Encode(content, qr.M, qr.Auto)
	if err != nil {
		return fmt.Errorf("receipt: QR code of the verification address: %w", err)
	}
	b := code.Bounds()
	n := b.Dx()
	const quiet = 4
	module := size / float64(n+2*quiet)
	c.fillRect(x, y, size, size, rgb{1, 1, 1})
	c.fillColor(rgb{0, 0, 0})
	// One rectangle per horizontal run of dark modules keeps the content
	// stream small.
	for row := range n {
		top := y + size - float64(quiet+row)*module
		for col := 0; col < n; {
			if !dark(code.At(b.Min.X+col, b.Min.Y+row).RGBA()) {
				col++
				continue
			}
			start := col
			for col < n && dark(code.At(b.Min.X+col, b.Min.Y+row).RGBA()) {
				col++
			}
			c.printf("%s %s %s %s re\n", num(x+float64(quiet+start)*module), num(top-module),
				num(float64(col-start)*module), num(module))
		}
	}
	c.printf("f\n")
	return nil
}

func dark(r, g, b, _ uint32) bool { return r+g+b < 3*0x8000 }
