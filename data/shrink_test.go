package data

import (
	"image"
	"image/color"
	"testing"

	"golang.org/x/image/draw"
)

// TestShrink checks the area-averaging reduction on every image type it
// takes against the Catmull-Rom filter over the whole source (the slow
// path it replaces), on a large smooth picture with a sharp block: the
// results agree closely; and that it declines what it cannot help.
func TestShrink(t *testing.T) {
	const w, h, size = 700, 520, 32
	rgba := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.RGBA{uint8(x * 255 / w), uint8(y * 255 / h), uint8((x + y) % 256 / 2), 255}
			if x > 300 && x < 420 && y > 200 && y < 260 {
				c = color.RGBA{250, 240, 10, 255}
			}
			rgba.SetRGBA(x, y, c)
		}
	}
	nrgba := image.NewNRGBA(rgba.Rect)
	draw.Draw(nrgba, nrgba.Rect, rgba, image.Point{}, draw.Src)
	for i := 3; i < len(nrgba.Pix); i += 4 {
		nrgba.Pix[i] = uint8(128 + i%128) // partly transparent
	}
	grey := image.NewGray(rgba.Rect)
	draw.Draw(grey, grey.Rect, rgba, image.Point{}, draw.Src)
	ycc := func(r image.YCbCrSubsampleRatio) *image.YCbCr {
		m := image.NewYCbCr(rgba.Rect, r)
		for y := range h {
			for x := range w {
				c := rgba.RGBAAt(x, y)
				yy, cb, cr := color.RGBToYCbCr(c.R, c.G, c.B)
				m.Y[m.YOffset(x, y)] = yy
				m.Cb[m.COffset(x, y)], m.Cr[m.COffset(x, y)] = cb, cr
			}
		}
		return m
	}
	// A sub-image whose bounds do not start at the origin (odd, so that
	// chroma samples straddle them).
	sub := ycc(image.YCbCrSubsampleRatio420).SubImage(image.Rect(31, 17, 651, 501))
	for _, c := range []struct {
		name string
		img  image.Image
	}{
		{"RGBA", rgba}, {"NRGBA", nrgba}, {"Gray", grey},
		{"YCbCr 4:2:0", ycc(image.YCbCrSubsampleRatio420)},
		{"YCbCr 4:4:4", ycc(image.YCbCrSubsampleRatio444)},
		{"YCbCr 4:2:2", ycc(image.YCbCrSubsampleRatio422)},
		{"YCbCr 4:2:0 sub-image", sub},
	} {
		crop := centreSquare(c.img.Bounds())
		if shrink(c.img, crop, size) == nil {
			t.Fatalf("%s: not shrunk", c.name)
		}
		want := image.NewRGBA(image.Rect(0, 0, size, size))
		draw.CatmullRom.Scale(want, want.Rect, c.img, crop, draw.Src, nil)
		got := make([]uint8, size*size*3)
		toRGB(got, c.img, size)
		d := meanAbsDiff(got, rgbOf(want))
		t.Logf("%s: mean difference %.3f", c.name, d)
		if d > 1 {
			t.Errorf("%s: mean difference %.2f from Catmull-Rom over the whole source", c.name, d)
		}
	}
	if shrink(rgba, image.Rect(0, 0, 100, 100), 32) != nil {
		t.Error("a reduction by less than 2 was done")
	}
	if shrink(image.NewCMYK(rgba.Rect), centreSquare(rgba.Rect), 32) != nil {
		t.Error("CMYK was shrunk (it is not handled)")
	}
}
