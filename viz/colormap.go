package viz

import (
	"image/color"
	"math"
)

// Viridis maps t in [0, 1] (clamped; NaN counts as 0) to the perceptually
// uniform viridis colormap, from dark purple through teal to yellow.
func Viridis(t float64) color.RGBA {
	// matplotlib's viridis sampled at 10 evenly spaced points.
	stops := [...]color.RGBA{
		{0x44, 0x01, 0x54, 0xff},
		{0x48, 0x28, 0x78, 0xff},
		{0x3e, 0x49, 0x89, 0xff},
		{0x31, 0x68, 0x8e, 0xff},
		{0x26, 0x82, 0x8e, 0xff},
		{0x1f, 0x9e, 0x89, 0xff},
		{0x35, 0xb7, 0x79, 0xff},
		{0x6e, 0xce, 0x58, 0xff},
		{0xb5, 0xde, 0x2b, 0xff},
		{0xfd, 0xe7, 0x25, 0xff},
	}
	if !(t > 0) {
		return stops[0]
	}
	if t >= 1 {
		return stops[len(stops)-1]
	}
	x := t * float64(len(stops)-1)
	i := int(x)
	f := x - float64(i)
	a, b := stops[i], stops[i+1]
	mix := func(p, q uint8) uint8 {
		return uint8(math.Round(float64(p) + f*(float64(q)-float64(p))))
	}
	return color.RGBA{mix(a.R, b.R), mix(a.G, b.G), mix(a.B, b.B), 0xff}
}

// isDark reports whether c is dark enough that white text reads better on
// it than black, by its relative luminance.
func isDark(c color.Color) bool {
	r, g, b, _ := c.RGBA()
	lum := 0.2126*lin(r) + 0.7152*lin(g) + 0.0722*lin(b)
	// Equal contrast against black and white is at luminance ~0.18.
	return lum < 0.18
}

// lin converts a 16-bit sRGB channel to linear light in [0, 1].
func lin(v uint32) float64 {
	c := float64(v) / 0xffff
	if c <= 0.04045 {
		return c / 12.92
	}
	return math.Pow((c+0.055)/1.055, 2.4)
}
