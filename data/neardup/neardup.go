// Package neardup makes near-duplicate copies of images: the edits a copy
// of a photo goes through on its way around (re-encoding, resizing,
// cropping, small rotations, brightness and contrast, mirroring, a caption
// written over it). Calibrating a near-duplicate threshold and the
// near-duplicate benchmark use the same edits.
package neardup

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"math"
	"math/rand/v2"

	xdraw "golang.org/x/image/draw"
	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// Transform is one kind of edit. Apply makes a copy of src with the edit,
// its strength drawn from rng within the kind's range.
type Transform struct {
	Name string
	// HashMisses is whether perceptual hashes are known to miss the edit (crops,
	// rotations, overlays): the benchmark reports these apart.
	HashMisses bool
	Apply      func(src image.Image, rng *rand.Rand) (image.Image, error)
}

// Transforms returns the edits, in a fixed order.
func Transforms() []Transform {
	return []Transform{
		{Name: "jpeg", Apply: func(src image.Image, rng *rand.Rand) (image.Image, error) {
			return reencode(src, 30+rng.IntN(61)) // quality 30-90
		}},
		{Name: "resize-50", Apply: func(src image.Image, _ *rand.Rand) (image.Image, error) {
			b := src.Bounds()
			return resize(src, max(1, b.Dx()/2), max(1, b.Dy()/2)), nil
		}},
		{Name: "crop", HashMisses: true, Apply: func(src image.Image, rng *rand.Rand) (image.Image, error) {
			return crop(src, 0.05+0.10*rng.Float64(), rng), nil // 5-15% of each side
		}},
		{Name: "rotate", HashMisses: true, Apply: func(src image.Image, rng *rand.Rand) (image.Image, error) {
			deg := 3 + 7*rng.Float64() // 3-10 degrees either way
			if rng.IntN(2) == 0 {
				deg = -deg
			}
			return rotate(src, deg), nil
		}},
		{Name: "brightness-contrast", Apply: func(src image.Image, rng *rand.Rand) (image.Image, error) {
			return adjust(src, 0.75+0.5*rng.Float64(), 0.75+0.5*rng.Float64()), nil
		}},
		{Name: "flip", Apply: func(src image.Image, _ *rand.Rand) (image.Image, error) {
			return flip(src), nil
		}},
		{Name: "overlay", HashMisses: true, Apply: func(src image.Image, rng *rand.Rand) (image.Image, error) {
			return overlay(src, captions[rng.IntN(len(captions))], rng), nil
		}},
	}
}

// Lookup returns the transform of the given name.
func Lookup(name string) (Transform, error) {
	var names []string
	for _, t := range Transforms() {
		if t.Name == name {
			return t, nil
		}
		names = append(names, t.Name)
	}
	return Transform{}, fmt.Errorf("neardup: unknown transform %q (have %v)", name, names)
}

var captions = []string{"(c) 2026 lookalike", "SALE -50%", "holiday 2025", "do not copy", "@someone"}

// rgba returns a copy of src as an RGBA image with its origin at 0, 0.
func rgba(src image.Image) *image.RGBA {
	b := src.Bounds()
	dst := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(dst, dst.Bounds(), src, b.Min, draw.Src)
	return dst
}

func reencode(src image.Image, quality int) (image.Image, error) {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, src, &jpeg.Options{Quality: quality}); err != nil {
		return nil, fmt.Errorf("neardup: jpeg: %w", err)
	}
	return jpeg.Decode(&buf)
}

func resize(src image.Image, w, h int) image.Image {
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	xdraw.CatmullRom.Scale(dst, dst.Bounds(), src, src.Bounds(), xdraw.Src, nil)
	return dst
}

// crop cuts off frac of the width and of the height, split between the
// two sides at random.
func crop(src image.Image, frac float64, rng *rand.Rand) image.Image {
	b := src.Bounds()
	cw, ch := int(float64(b.Dx())*frac), int(float64(b.Dy())*frac)
	x0, y0 := rng.IntN(cw+1), rng.IntN(ch+1)
	r := image.Rect(b.Min.X+x0, b.Min.Y+y0, b.Max.X-(cw-x0), b.Max.Y-(ch-y0))
	return rgba(src).SubImage(r.Sub(b.Min))
}

// rotate turns the image by deg degrees about its centre, bilinear, on a
// canvas of the same size; corners outside the source are black.
func rotate(src image.Image, deg float64) image.Image {
	s := rgba(src)
	w, h := s.Rect.Dx(), s.Rect.Dy()
	dst := image.NewRGBA(s.Rect)
	sin, cos := math.Sincos(deg * math.Pi / 180)
	cx, cy := float64(w-1)/2, float64(h-1)/2
	for y := range h {
		for x := range w {
			dx, dy := float64(x)-cx, float64(y)-cy
			sx, sy := cos*dx+sin*dy+cx, -sin*dx+cos*dy+cy
			x0, y0 := int(math.Floor(sx)), int(math.Floor(sy))
			if x0 < 0 || y0 < 0 || x0+1 >= w || y0+1 >= h {
				dst.SetRGBA(x, y, color.RGBA{A: 255})
				continue
			}
			fx, fy := sx-float64(x0), sy-float64(y0)
			var px [4]float64
			for _, c := range [4]struct {
				x, y int
				w    float64
			}{{x0, y0, (1 - fx) * (1 - fy)}, {x0 + 1, y0, fx * (1 - fy)}, {x0, y0 + 1, (1 - fx) * fy}, {x0 + 1, y0 + 1, fx * fy}} {
				p := s.RGBAAt(c.x, c.y)
				px[0] += c.w * float64(p.R)
				px[1] += c.w * float64(p.G)
				px[2] += c.w * float64(p.B)
				px[3] += c.w * float64(p.A)
			}
			dst.SetRGBA(x, y, color.RGBA{uint8(px[0] + 0.5), uint8(px[1] + 0.5), uint8(px[2] + 0.5), uint8(px[3] + 0.5)})
		}
	}
	return dst
}

// adjust scales brightness by b and contrast by c about mid-grey.
func adjust(src image.Image, b, c float64) image.Image {
	s := rgba(src)
	for i := 0; i < len(s.Pix); i += 4 {
		for j := range 3 {
			v := (float64(s.Pix[i+j])*b-128)*c + 128
			s.Pix[i+j] = uint8(max(0, min(255, v+0.5)))
		}
	}
	return s
}

func flip(src image.Image) image.Image {
	s := rgba(src)
	w := s.Rect.Dx()
	for y := range s.Rect.Dy() {
		row := s.Pix[y*s.Stride : y*s.Stride+4*w]
		for x := range w / 2 {
			a, b := row[4*x:4*x+4], row[4*(w-1-x):4*(w-x)]
			for k := range 4 {
				a[k], b[k] = b[k], a[k]
			}
		}
	}
	return s
}

// overlay writes text across the image, white with a dark shadow, in
// letters about a tenth of the image's height, at a random height.
func overlay(src image.Image, text string, rng *rand.Rand) image.Image {
	s := rgba(src)
	w, h := s.Rect.Dx(), s.Rect.Dy()
	// Draw at the font's size, then scale onto the image.
	tw := font.MeasureString(basicfont.Face7x13, text).Ceil() + 4
	layer := image.NewRGBA(image.Rect(0, 0, tw, 17))
	for _, o := range []struct {
		dx, dy int
		c      color.Color
	}{{1, 1, color.RGBA{0, 0, 0, 200}}, {0, 0, color.White}} {
		d := font.Drawer{Dst: layer, Src: image.NewUniform(o.c), Face: basicfont.Face7x13,
			Dot: fixed.P(2+o.dx, 13+o.dy)}
		d.DrawString(text)
	}
	scale := max(1, float64(h)/10/13)
	lw, lh := int(float64(tw)*scale), int(17*scale)
	if lw > w {
		lh = lh * w / lw
		lw = w
	}
	x0 := (w - lw) / 2
	y0 := rng.IntN(max(1, h-lh))
	xdraw.BiLinear.Scale(s, image.Rect(x0, y0, x0+lw, y0+lh), layer, layer.Bounds(), xdraw.Over, nil)
	return s
}
