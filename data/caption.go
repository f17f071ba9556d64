package data

import (
	"image"
	"image/color"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// captionChars are the characters a random caption is made of.
const captionChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 @%-()!.,:"

// caption is a line of text written across a training image: the
// near-duplicate edit "overlay" of package neardup (white letters with a
// dark shadow, about a tenth of the image's height, centred, at a random
// height), drawn at the model's input size.
type caption struct {
	key  uint64  // the text's characters; 0: no caption
	n    int     // characters
	y, h float64 // the band's top and height, in pixels
}

// drawCaption chooses a caption for a size x size image: 8 to 18
// characters in a band 10-18% of the image's height.
func drawCaption(r *splitMix, size int) caption {
	c := caption{key: r.next() | 1, n: 8 + r.intN(11)}
	c.h = float64(size) * (0.10 + 0.08*r.float())
	c.y = (float64(size) - c.h) * r.float()
	return c
}

// layer renders the caption at the font's own size (7x13 glyphs in a
// band 17 pixels high), premultiplied RGBA: the dark shadow one pixel down
// and right, then the white letters.
func (c caption) layer() *image.RGBA {
	s := splitMix(c.key)
	text := make([]byte, c.n)
	for i := range text {
		text[i] = captionChars[s.intN(len(captionChars))]
	}
	face := basicfont.Face7x13
	w := font.MeasureString(face, string(text)).Ceil() + 4
	l := image.NewRGBA(image.Rect(0, 0, w, 17))
	for _, o := range []struct {
		d  int
		cl color.Color
	}{{1, color.RGBA{0, 0, 0, 200}}, {0, color.White}} {
		d := font.Drawer{Dst: l, Src: image.NewUniform(o.cl), Face: face, Dot: fixed.P(2+o.d, 13+o.d)}
		d.DrawString(string(text))
	}
	return l
}

// apply writes the caption over dst, size*size RGB floats in 0..255. Each
// output pixel averages 4x4 samples of the layer (the text is drawn at
// a few pixels' height, as a photo's caption looks once the photo is
// scaled down to the model's size), composited over the image.
func (c caption) apply(dst []float32, size int) {
	if c.key == 0 {
		return
	}
	l := c.layer()
	lw, lh := float64(l.Rect.Dx()), float64(l.Rect.Dy())
	scale := c.h / lh // output pixels per layer pixel
	bw, bh := lw*scale, c.h
	if bw > float64(size) { // at most the image's width
		scale = float64(size) / lw
		bw, bh = float64(size), lh*scale
	}
	x0, y0 := (float64(size)-bw)/2, c.y
	const ss = 4 // samples per output pixel and axis
	for y := max(0, int(y0)); y < min(size, int(y0+bh)+1); y++ {
		for x := max(0, int(x0)); x < min(size, int(x0+bw)+1); x++ {
			var pr, pg, pb, pa float32
			for j := range ss {
				ly := int((float64(y) + (float64(j)+0.5)/ss - y0) / scale)
				if ly < 0 || ly >= l.Rect.Dy() || float64(y)+(float64(j)+0.5)/ss < y0 {
					continue
				}
				for i := range ss {
					fx := float64(x) + (float64(i)+0.5)/ss - x0
					if fx < 0 {
						continue
					}
					lx := int(fx / scale)
					if lx >= l.Rect.Dx() {
						continue
					}
					p := l.Pix[l.PixOffset(lx, ly):]
					pr, pg, pb, pa = pr+float32(p[0]), pg+float32(p[1]), pb+float32(p[2]), pa+float32(p[3])
				}
			}
			if pa == 0 {
				continue
			}
			const n = ss * ss
			keep := 1 - pa/(n*255)
			o := dst[(y*size+x)*3:]
			o[0] = pr/n + keep*o[0]
			o[1] = pg/n + keep*o[1]
			o[2] = pb/n + keep*o[2]
		}
	}
}
