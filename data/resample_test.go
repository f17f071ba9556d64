package data

import (
	"image"
	"math"
	"math/rand/v2"
	"testing"
)

// resampleRef is resampleRGBA's definition in float64: rows, then columns,
// each output the weighted sum of the source pixels around its centre, the
// Catmull-Rom kernel widened by the scale when shrinking and normalised
// over the pixels inside the image; the rows rounded to 8 bits.
func resampleRef(src *image.RGBA, crop image.Rectangle, size int) []float64 {
	b := src.Rect
	weights := func(lo, hi int, x0, span float64, i int) (int, []float64) {
		scale := span / float64(size)
		fs := max(scale, 1)
		centre := x0 + (float64(i)+0.5)*scale
		first := max(int(centre-2*fs+0.5), lo)
		last := min(int(centre+2*fs+0.5), hi)
		var w []float64
		var sum float64
		for j := first; j < last; j++ {
			w = append(w, catmullRom((float64(j)+0.5-centre)/fs))
			sum += w[len(w)-1]
		}
		for j := range w {
			w[j] /= sum
		}
		return first, w
	}
	// Rows: every source row, rounded to 8 bits as the definition says.
	rows := make([][]float64, b.Dy())
	for y := range b.Dy() {
		rows[y] = make([]float64, size*3)
		for x := range size {
			fx, wx := weights(b.Min.X, b.Max.X, float64(crop.Min.X), float64(crop.Dx()), x)
			for c := range 3 {
				var s float64
				for i, w := range wx {
					s += w * float64(src.Pix[src.PixOffset(fx+i, b.Min.Y+y)+c])
				}
				rows[y][x*3+c] = min(max(math.Round(s), 0), 255)
			}
		}
	}
	out := make([]float64, size*size*3)
	for y := range size {
		fy, wy := weights(b.Min.Y, b.Max.Y, float64(crop.Min.Y), float64(crop.Dy()), y)
		for i := range size * 3 {
			var s float64
			for j, a := range wy {
				s += a * rows[fy-b.Min.Y+j][i]
			}
			out[y*size*3+i] = s
		}
	}
	return out
}

// TestResampleAgainstReference checks shrinking, enlarging and off-centre
// crops of smooth and noisy images against the float64 definition: the
// fixed-point weights move a row's value by a level where it falls near a
// half, which the columns carry on (by up to 1.5 levels, rarely).
func TestResampleAgainstReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, c := range []struct {
		w, h  int
		crop  image.Rectangle
		size  int
		noisy bool
	}{
		{100, 80, image.Rect(10, 0, 90, 80), 32, false},
		{100, 80, image.Rect(10, 0, 90, 80), 32, true},
		{375, 500, image.Rect(0, 62, 375, 437), 224, true},
		{40, 30, image.Rect(5, 0, 35, 30), 64, false},
		{40, 30, image.Rect(0, 0, 30, 30), 45, true},
		{9, 9, image.Rect(0, 0, 9, 9), 4, true},
	} {
		src := image.NewRGBA(image.Rect(0, 0, c.w, c.h))
		for y := range c.h {
			for x := range c.w {
				i := src.PixOffset(x, y)
				src.Pix[i] = uint8(128 + 90*math.Sin(float64(x)/7))
				src.Pix[i+1] = uint8(128 + 90*math.Cos(float64(y)/5))
				src.Pix[i+2] = uint8(x + y)
				if c.noisy {
					src.Pix[i] = uint8(rng.IntN(256))
				}
				src.Pix[i+3] = 255
			}
		}
		got := make([]uint8, c.size*c.size*3)
		resampleRGBA(got, src, c.crop, c.size)
		want := resampleRef(src, c.crop, c.size)
		var sum float64
		for i, w := range want {
			w = min(max(w, 0), 255)
			d := math.Abs(float64(got[i]) - w)
			if d > 1.5 {
				t.Fatalf("%dx%d crop %v to %d: value %d is %d, want %.2f", c.w, c.h, c.crop, c.size, i, got[i], w)
			}
			sum += d
		}
		if mean := sum / float64(len(want)); mean > 0.3 {
			t.Errorf("%dx%d crop %v to %d: mean difference %.3f", c.w, c.h, c.crop, c.size, mean)
		}
	}
}

// TestResampleIdentityAndFlat checks that a crop at its own size comes out
// unchanged (the kernel is 1 at 0 and 0 at other whole pixels) and that a
// flat image stays flat at any scale.
func TestResampleIdentityAndFlat(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	src := image.NewRGBA(image.Rect(0, 0, 50, 40))
	for i := range src.Pix {
		src.Pix[i] = uint8(rng.IntN(256))
	}
	crop := image.Rect(5, 0, 45, 40)
	got := make([]uint8, 40*40*3)
	resampleRGBA(got, src, crop, 40)
	for y := range 40 {
		for x := range 40 {
			for c := range 3 {
				if g, w := got[(y*40+x)*3+c], src.Pix[src.PixOffset(x+5, y)+c]; g != w {
					t.Fatalf("identity: (%d,%d,%d) = %d, want %d", x, y, c, g, w)
				}
			}
		}
	}
	flat := image.NewRGBA(image.Rect(0, 0, 333, 222))
	for i := range flat.Pix {
		flat.Pix[i] = 77
	}
	for _, size := range []int{7, 100, 222, 500} {
		out := make([]uint8, size*size*3)
		resampleRGBA(out, flat, centreSquare(flat.Rect), size)
		for i, v := range out {
			if v != 77 {
				t.Fatalf("flat to %d: value %d is %d", size, i, v)
			}
		}
	}
}
