package viz

import (
	"image"
	"image/color"
	"image/draw"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// captionHeight is the pixel height of one line of caption text.
const captionHeight = 13

// captionWidth returns the pixel width of s in the caption font.
func captionWidth(s string) int {
	return font.MeasureString(basicfont.Face7x13, s).Ceil()
}

// fitCaption shortens s with a trailing ".." until it fits in width pixels.
func fitCaption(s string, width int) string {
	if captionWidth(s) <= width {
		return s
	}
	r := []rune(s)
	for len(r) > 0 {
		r = r[:len(r)-1]
		if t := string(r) + ".."; captionWidth(t) <= width {
			return t
		}
	}
	return ""
}

// drawCaption draws s in col, horizontally centred on cx, with the top of
// the line at y.
func drawCaption(dst draw.Image, s string, cx, y int, col color.Color) {
	d := font.Drawer{
		Dst:  dst,
		Src:  image.NewUniform(col),
		Face: basicfont.Face7x13,
		Dot:  fixed.P(cx-captionWidth(s)/2, y+basicfont.Face7x13.Ascent),
	}
	d.DrawString(s)
}
