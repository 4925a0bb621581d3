package web

import (
	"fmt"
	"html"
	"html/template"
	"strings"

	"rsc.io/qr"
)

// qrQuiet is the light margin around a QR code, in modules: scanners
// need four to find the code.
const qrQuiet = 4

// qrSVG draws text as a QR code in SVG, drawn on the server: the dark
// modules as one path on a white square with the quiet zone. Error
// correction M keeps a code readable with about 15% of it smudged or
// glared. There is no style attribute (the pages' CSP forbids them): the
// size comes from the stylesheet (.qr), the colours from attributes.
func qrSVG(text, label string) (template.HTML, error) {
	code, err := qr.Encode(text, qr.M)
	if err != nil {
		return "", err
	}
	n := code.Size + 2*qrQuiet
	var d strings.Builder
	for y := 0; y < code.Size; y++ {
		for x := 0; x < code.Size; {
			if !code.Black(x, y) {
				x++
				continue
			}
			run := 1
			for x+run < code.Size && code.Black(x+run, y) {
				run++
			}
			fmt.Fprintf(&d, "M%d %dh%dv1h-%dz", x+qrQuiet, y+qrQuiet, run, run)
			x += run
		}
	}
	svg := fmt.Sprintf(`<svg class="qr" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="%s" shape-rendering="crispEdges">`+
		`<rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="%s"/></svg>`,
		n, n, n*6, n*6, html.EscapeString(label), n, n, d.String())
	return template.HTML(svg), nil
}
