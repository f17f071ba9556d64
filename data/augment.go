package data

import (
	"fmt"
	"math"
)

// Augment is the random augmentation of training images, drawn per image
// and per epoch. The zero value changes nothing.
type Augment struct {
	// Translate pads the image by this many pixels on every side with
	// reflection and crops a random size x size window (0: no translation).
	Translate int `json:"translate,omitempty"`
	// Flip mirrors the image left-right with probability 1/2.
	Flip bool `json:"flip,omitempty"`
	// AltFlip mirrors images in alternation instead (airbench's scheme):
	// a random half of the images in even epochs and exactly the other
	// half in odd epochs, so that every image is seen both ways every two
	// epochs. It overrides Flip.
	AltFlip bool `json:"alt_flip,omitempty"`
	// Cutout zeroes a random Cutout x Cutout square, which may stick out of
	// the image (DeVries & Taylor 2017; 0: none).
	Cutout int `json:"cutout,omitempty"`
	// CropScale, when positive, takes a random resized crop first, as
	// torchvision's RandomResizedCrop does: a window of a random fraction
	// in [CropScale, 1] of the image's area and a random aspect ratio in
	// [3/4, 4/3] (log-uniform), at a random place, scaled back to the
	// image's size with bilinear interpolation (0: none).
	CropScale float64 `json:"crop_scale,omitempty"`
	// ColorJitter, when positive, is SimCLR's colour distortion of
	// strength s, applied with probability 0.8: brightness, contrast and
	// saturation each scaled by a random factor in [1-0.8s, 1+0.8s], in
	// that order (torchvision draws the order and adds a hue shift; this
	// keeps the order fixed and has no hue). 0: none.
	ColorJitter float64 `json:"color_jitter,omitempty"`
	// Grey is the probability of turning the image to greyscale (luma
	// 0.299 R + 0.587 G + 0.114 B in all three channels), after the
	// jitter.
	Grey float64 `json:"grey,omitempty"`
	// Caption is the probability of writing a line of random text across
	// the image, last, as the near-duplicate edit "overlay" does (white
	// letters with a dark shadow in a band 10-18% of the image's height,
	// at a random height): a model trained with it learns to see through
	// captions (0: none).
	Caption float64 `json:"caption,omitempty"`
}

// Validate reports settings that cannot work for images of the given size.
func (a Augment) Validate(size int) error {
	if a.Translate < 0 || a.Translate >= size {
		return fmt.Errorf("augment: translation %d must be in [0, %d)", a.Translate, size)
	}
	if a.Cutout < 0 || a.Cutout > size {
		return fmt.Errorf("augment: cutout %d must be in [0, %d]", a.Cutout, size)
	}
	if a.CropScale < 0 || a.CropScale > 1 {
		return fmt.Errorf("augment: crop scale %g must be in [0, 1]", a.CropScale)
	}
	if a.ColorJitter < 0 || a.ColorJitter > 1.25 {
		return fmt.Errorf("augment: colour jitter %g must be in [0, 1.25]", a.ColorJitter)
	}
	if a.Grey < 0 || a.Grey > 1 {
		return fmt.Errorf("augment: greyscale probability %g must be in [0, 1]", a.Grey)
	}
	if a.Caption < 0 || a.Caption > 1 {
		return fmt.Errorf("augment: caption probability %g must be in [0, 1]", a.Caption)
	}
	return nil
}

// Active reports whether a changes images at all.
func (a Augment) Active() bool { return a != Augment{} }

// Draw is the augmentation chosen for one image in one epoch.
type Draw struct {
	DX, DY int  // crop offset in [-Translate, Translate]
	Flip   bool // mirrored
	CX, CY int  // top-left corner of the cutout square (may be negative)
	// The random resized crop, in source pixels: the window's top-left
	// corner and size; CW == 0 means none.
	CropX, CropY, CW, CH float64
	// The colour distortion: brightness, contrast and saturation
	// factors (0: no jitter), and greyscale.
	Bright, Contrast, Sat float32
	Grey                  bool
	// The caption written over the image (its key 0: none).
	Caption caption
}

// Draw chooses the augmentation of one image from key, a random number of
// its own (the same key gives the same draw); for AltFlip, base is the
// image's own coin (the same in every epoch) and epoch the 0-based epoch.
func (a Augment) Draw(key uint64, size int, base bool, epoch int) Draw {
	var d Draw
	r := splitMix(key)
	if t := a.Translate; t > 0 {
		d.DX, d.DY = r.intN(2*t+1)-t, r.intN(2*t+1)-t
	}
	switch {
	case a.AltFlip:
		d.Flip = base != (epoch%2 == 1)
	case a.Flip:
		d.Flip = r.intN(2) == 1
	}
	if c := a.Cutout; c > 0 {
		d.CX, d.CY = r.intN(size+c-1)-c+1, r.intN(size+c-1)-c+1
	}
	if a.CropScale > 0 {
		d.CropX, d.CropY, d.CW, d.CH = resizedCrop(&r, float64(size), a.CropScale)
	}
	// The colour draws come last, so that the others stay those of
	// settings without colour.
	if s := 0.8 * a.ColorJitter; s > 0 && r.float() < 0.8 {
		factor := func() float32 { return float32(max(0, 1-s+2*s*r.float())) }
		d.Bright, d.Contrast, d.Sat = factor(), factor(), factor()
	}
	if a.Grey > 0 {
		d.Grey = r.float() < a.Grey
	}
	if a.Caption > 0 && r.float() < a.Caption {
		d.Caption = drawCaption(&r, size)
	}
	return d
}

// luma returns the grey level of an RGB pixel (ITU-R 601, as PIL's "L").
func luma(p []float32) float32 { return 0.299*p[0] + 0.587*p[1] + 0.114*p[2] }

// colour applies the draw's colour distortion to dst, size*size RGB
// floats in 0..255, clamping to that range.
func (d Draw) colour(dst []float32) {
	if d.Bright > 0 {
		for i := range dst {
			dst[i] *= d.Bright
		}
		var mean float64
		for i := 0; i < len(dst); i += 3 {
			mean += float64(luma(dst[i : i+3]))
		}
		m := float32(mean / float64(len(dst)/3))
		for i := range dst {
			dst[i] = m + (dst[i]-m)*d.Contrast
		}
		for i := 0; i < len(dst); i += 3 {
			p := dst[i : i+3]
			g := luma(p)
			p[0], p[1], p[2] = g+(p[0]-g)*d.Sat, g+(p[1]-g)*d.Sat, g+(p[2]-g)*d.Sat
		}
	}
	if d.Grey {
		for i := 0; i < len(dst); i += 3 {
			p := dst[i : i+3]
			g := luma(p)
			p[0], p[1], p[2] = g, g, g
		}
	}
	if d.Bright > 0 || d.Grey {
		for i, v := range dst {
			dst[i] = min(max(v, 0), 255)
		}
	}
}

// resizedCrop draws RandomResizedCrop's window in a size x size image:
// up to ten tries of an area fraction in [scale, 1] and a log-uniform
// aspect ratio in [3/4, 4/3], then the whole image.
func resizedCrop(r *splitMix, size, scale float64) (x, y, w, h float64) {
	for range 10 {
		area := size * size * (scale + (1-scale)*r.float())
		ratio := math.Exp(math.Log(3.0/4) + (math.Log(4.0/3)-math.Log(3.0/4))*r.float())
		w, h = math.Sqrt(area*ratio), math.Sqrt(area/ratio)
		if w <= size && h <= size {
			return (size - w) * r.float(), (size - h) * r.float(), w, h
		}
	}
	return 0, 0, size, size
}

// float returns a number in [0, 1).
func (s *splitMix) float() float64 { return float64(s.next()>>11) / (1 << 53) }

// splitMix is the SplitMix64 generator: a few random numbers per image
// from one key, without allocating.
type splitMix uint64

func (s *splitMix) next() uint64 {
	*s += 0x9e3779b97f4a7c15
	z := uint64(*s)
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// intN returns a number in [0, n) (the modulo bias is below 2^-50 for the
// small n used here).
func (s *splitMix) intN(n int) int { return int(s.next() % uint64(n)) }

// mixKey combines numbers into one well-mixed key.
func mixKey(parts ...uint64) uint64 {
	var s splitMix
	for _, p := range parts {
		s ^= splitMix(p)
		s.next()
		s = splitMix(s.next())
	}
	return uint64(s)
}

// reflect maps a coordinate outside [0, n) back inside by reflection
// without repeating the edge (PyTorch's "reflect" padding).
func reflect(i, n int) int {
	for i < 0 || i >= n {
		if i < 0 {
			i = -i
		}
		if i >= n {
			i = 2*(n-1) - i
		}
	}
	return i
}

// Apply writes src, a size x size RGB image, into dst as floats, with the
// augmentation d: output pixel (x, y) is input pixel (x+DX, y+DY)
// (reflected at the borders), mirrored when Flip, with the cutout square
// zeroed. With a resized crop, the input is first the crop window scaled
// to size x size (bilinear: output pixel centres mapped into the window,
// clamped at its edges). The colour distortion, if any, comes next, over
// the cutout square too, and the caption, if any, last.
func (d Draw) Apply(dst []float32, src []uint8, size int, cutout int) {
	defer func() {
		d.colour(dst[:size*size*3])
		d.Caption.apply(dst, size)
	}()
	if d.CW > 0 {
		d.applyCrop(dst, src, size, cutout)
		return
	}
	for y := range size {
		sy := reflect(y+d.DY, size)
		row := src[sy*size*3 : (sy+1)*size*3]
		out := dst[y*size*3 : (y+1)*size*3]
		inCut := cutout > 0 && y >= d.CY && y < d.CY+cutout
		for x := range size {
			sx := x
			if d.Flip {
				sx = size - 1 - x
			}
			sx = reflect(sx+d.DX, size)
			o := out[x*3 : x*3+3]
			if inCut && x >= d.CX && x < d.CX+cutout {
				o[0], o[1], o[2] = 0, 0, 0
				continue
			}
			p := row[sx*3 : sx*3+3]
			o[0], o[1], o[2] = float32(p[0]), float32(p[1]), float32(p[2])
		}
	}
}

// applyCrop is Apply with a resized crop.
func (d Draw) applyCrop(dst []float32, src []uint8, size int, cutout int) {
	sxScale, syScale := d.CW/float64(size), d.CH/float64(size)
	last := float64(size - 1)
	for y := range size {
		v := reflect(y+d.DY, size)
		fy := min(max(d.CropY+(float64(v)+0.5)*syScale-0.5, 0), last)
		y0 := int(fy)
		y1, wy := min(y0+1, size-1), float32(fy-float64(y0))
		out := dst[y*size*3 : (y+1)*size*3]
		inCut := cutout > 0 && y >= d.CY && y < d.CY+cutout
		for x := range size {
			o := out[x*3 : x*3+3]
			if inCut && x >= d.CX && x < d.CX+cutout {
				o[0], o[1], o[2] = 0, 0, 0
				continue
			}
			sx := x
			if d.Flip {
				sx = size - 1 - x
			}
			u := reflect(sx+d.DX, size)
			fx := min(max(d.CropX+(float64(u)+0.5)*sxScale-0.5, 0), last)
			x0 := int(fx)
			x1, wx := min(x0+1, size-1), float32(fx-float64(x0))
			for c := range 3 {
				p00 := float32(src[(y0*size+x0)*3+c])
				p01 := float32(src[(y0*size+x1)*3+c])
				p10 := float32(src[(y1*size+x0)*3+c])
				p11 := float32(src[(y1*size+x1)*3+c])
				top := p00 + wx*(p01-p00)
				bot := p10 + wx*(p11-p10)
				o[c] = top + wy*(bot-top)
			}
		}
	}
}
