package data

import (
	"image"
	"math"
)

// resampleBits is the fixed-point precision of the resampling weights: a
// weighted sum of 8-bit values stays well inside an int32.
const resampleBits = 14

// axisTaps holds, for each output pixel along one axis, the source pixels
// it reads and their weights in fixed point.
type axisTaps struct {
	first []int   // the first source index of each output
	count []int   // how many source pixels each reads
	w     []int32 // the weights, n per output
	n     int     // the widest
	lo    int     // the first source index any output reads
	hi    int     // one past the last
}

// catmullRom is the cubic convolution kernel with a = -0.5.
func catmullRom(x float64) float64 {
	const a = -0.5
	x = math.Abs(x)
	switch {
	case x < 1:
		return ((a+2)*x-(a+3))*x*x + 1
	case x < 2:
		return ((a*x-5*a)*x+8*a)*x - 4*a
	}
	return 0
}

// newAxisTaps computes the taps scaling the source span [x0, x0+span) to
// out pixels, as Pillow's resampling does: the kernel is widened by the
// scale when shrinking (so that every source pixel counts), may read
// source pixels outside the span within [lo, hi), and its weights are
// normalised to sum to one after clipping at lo and hi.
func newAxisTaps(lo, hi int, x0, span float64, out int) axisTaps {
	scale := span / float64(out)
	fscale := max(scale, 1)
	support := 2 * fscale
	n := int(math.Ceil(support))*2 + 1
	t := axisTaps{first: make([]int, out), count: make([]int, out), w: make([]int32, out*n), n: n, lo: hi, hi: lo}
	ws := make([]float64, n)
	for i := range out {
		centre := x0 + (float64(i)+0.5)*scale
		first := max(int(centre-support+0.5), lo)
		last := min(int(centre+support+0.5), hi)
		count := min(last-first, n)
		var sum float64
		for j := range count {
			ws[j] = catmullRom((float64(first+j) + 0.5 - centre) / fscale)
			sum += ws[j]
		}
		// Rounded, the weights sum to one exactly: the largest takes up
		// the rounding, so a flat image stays flat and no level drifts.
		var total, big int32
		for j := range count {
			w := int32(math.Round(ws[j] / sum * (1 << resampleBits)))
			t.w[i*n+j], total = w, total+w
			if w > t.w[i*n+int(big)] {
				big = int32(j)
			}
		}
		t.w[i*n+int(big)] += 1<<resampleBits - total
		t.first[i], t.count[i] = first, count
		t.lo, t.hi = min(t.lo, first), max(t.hi, first+count)
	}
	return t
}

// clamp8 rounds a fixed-point sum to 0..255.
func clamp8(s int32) uint8 {
	return uint8(min(max((s+1<<(resampleBits-1))>>resampleBits, 0), 255))
}

// resampleRGBA scales the square crop of src to size x size with a
// Catmull-Rom filter, rows then columns in fixed point with an 8-bit
// intermediate (as Pillow's BICUBIC), writing interleaved RGB into dst.
// The colour channels are taken as they are: premultiplied, that is
// composited onto black.
func resampleRGBA(dst []uint8, src *image.RGBA, crop image.Rectangle, size int) {
	b := src.Rect
	xs := newAxisTaps(b.Min.X, b.Max.X, float64(crop.Min.X), float64(crop.Dx()), size)
	ys := newAxisTaps(b.Min.Y, b.Max.Y, float64(crop.Min.Y), float64(crop.Dy()), size)
	// Rows: the source rows the columns read, each scaled to size RGB.
	rows := ys.hi - ys.lo
	tmp := make([]uint8, rows*size*3)
	for r := range rows {
		line := src.Pix[src.PixOffset(b.Min.X, ys.lo+r):]
		out := tmp[r*size*3 : (r+1)*size*3]
		for i := range size {
			w := xs.w[i*xs.n : i*xs.n+xs.count[i]]
			p := line[(xs.first[i]-b.Min.X)*4:]
			p = p[:len(w)*4]
			var sr, sg, sb int32
			for j, wj := range w {
				q := p[j*4 : j*4+3]
				sr += wj * int32(q[0])
				sg += wj * int32(q[1])
				sb += wj * int32(q[2])
			}
			out[i*3], out[i*3+1], out[i*3+2] = clamp8(sr), clamp8(sg), clamp8(sb)
		}
	}
	// Columns, a whole row of sums at a time.
	stride := size * 3
	acc := make([]int32, stride)
	for i := range size {
		clear(acc)
		base := (ys.first[i] - ys.lo) * stride
		for j, wj := range ys.w[i*ys.n : i*ys.n+ys.count[i]] {
			row := tmp[base+j*stride : base+(j+1)*stride]
			for x, v := range row {
				acc[x] += wj * int32(v)
			}
		}
		out := dst[i*stride : (i+1)*stride]
		for x, s := range acc {
			out[x] = clamp8(s)
		}
	}
}
