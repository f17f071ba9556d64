package data

import (
	"image"
	"image/color"
)

// shrink returns the square crop of img reduced by area averaging (a box
// filter) by the largest whole factor that leaves at least 2*size pixels on
// a side, as an RGBA image, or nil when that factor is below 2 or img is
// not a YCbCr (JPEG), RGBA, NRGBA or Gray image. A final Catmull-Rom scale
// then brings it to size: together an area resampling that reads every
// source pixel once, instead of a Catmull-Rom filter widened over tens of
// pixels (ten times the work on a camera photo). The crop is trimmed by at
// most factor-1 pixels, equally on both sides, to a multiple of the factor.
func shrink(img image.Image, crop image.Rectangle, size int) *image.RGBA {
	f := crop.Dx() / (2 * size)
	if f < 2 {
		return nil
	}
	n := crop.Dx() / f // the reduced side
	trim := (crop.Dx() - n*f) / 2
	x0, y0 := crop.Min.X+trim, crop.Min.Y+trim
	out := image.NewRGBA(image.Rect(0, 0, n, n))
	switch m := img.(type) {
	case *image.YCbCr:
		shrinkYCbCr(out, m, x0, y0, f)
	case *image.RGBA:
		shrinkBytes(out, m.Pix, m.Stride, 4, (x0-m.Rect.Min.X)*4+(y0-m.Rect.Min.Y)*m.Stride, f, false)
	case *image.NRGBA:
		shrinkBytes(out, m.Pix, m.Stride, 4, (x0-m.Rect.Min.X)*4+(y0-m.Rect.Min.Y)*m.Stride, f, true)
	case *image.Gray:
		shrinkBytes(out, m.Pix, m.Stride, 1, (x0-m.Rect.Min.X)+(y0-m.Rect.Min.Y)*m.Stride, f, false)
	default:
		return nil
	}
	return out
}

// shrinkBytes averages f x f blocks of an interleaved 8-bit image (ch = 4:
// RGBA, premultiplied unless nrgba; ch = 1: grey) starting at byte off into
// out. An NRGBA image is composited onto black, as toRGB does.
func shrinkBytes(out *image.RGBA, pix []uint8, stride, ch, off, f int, nrgba bool) {
	n := out.Rect.Dx()
	area := uint32(f * f)
	sums := make([]uint32, n*4)
	for v := range n {
		clear(sums)
		for dy := range f {
			row := pix[off+(v*f+dy)*stride:]
			for u := range n {
				s := sums[u*4 : u*4+4]
				p := row[u*f*ch : (u*f+f)*ch]
				for i := 0; i < len(p); i += ch {
					if ch == 1 {
						s[0] += uint32(p[i])
						continue
					}
					r, g, b, a := uint32(p[i]), uint32(p[i+1]), uint32(p[i+2]), uint32(p[i+3])
					if nrgba {
						r, g, b = r*a/255, g*a/255, b*a/255
					}
					s[0] += r
					s[1] += g
					s[2] += b
					s[3] += a
				}
			}
		}
		dst := out.Pix[v*out.Stride:]
		for u := range n {
			s := sums[u*4 : u*4+4]
			if ch == 1 {
				g := uint8((s[0] + area/2) / area)
				dst[u*4], dst[u*4+1], dst[u*4+2], dst[u*4+3] = g, g, g, 0xff
				continue
			}
			for c := range 4 {
				dst[u*4+c] = uint8((s[c] + area/2) / area)
			}
		}
	}
}

// shrinkYCbCr averages f x f blocks of m's luma, and the chroma samples
// that cover each block, from (x0, y0), converting the means to RGB.
func shrinkYCbCr(out *image.RGBA, m *image.YCbCr, x0, y0, f int) {
	n := out.Rect.Dx()
	// Chroma subsampling: how many luma pixels share a chroma sample.
	cx, cy := 1, 1
	switch m.SubsampleRatio {
	case image.YCbCrSubsampleRatio422:
		cx = 2
	case image.YCbCrSubsampleRatio420:
		cx, cy = 2, 2
	case image.YCbCrSubsampleRatio440:
		cy = 2
	case image.YCbCrSubsampleRatio411:
		cx = 4
	case image.YCbCrSubsampleRatio410:
		cx, cy = 4, 2
	}
	ys := make([]uint32, n)
	cbs, crs, cnt := make([]uint32, n), make([]uint32, n), make([]uint32, n)
	minX, minY := m.Rect.Min.X, m.Rect.Min.Y
	for v := range n {
		clear(ys)
		clear(cbs)
		clear(crs)
		clear(cnt)
		for dy := range f {
			y := y0 + v*f + dy
			row := m.Y[(y-minY)*m.YStride+(x0-minX):]
			for u := range n {
				var s uint32
				for _, p := range row[u*f : u*f+f] {
					s += uint32(p)
				}
				ys[u] += s
			}
		}
		// The chroma rows and columns under the block, each sample once
		// (indexed as image.YCbCr.COffset does).
		for cyRow := (y0 + v*f) / cy; cyRow <= (y0+v*f+f-1)/cy; cyRow++ {
			crow := (cyRow-minY/cy)*m.CStride - minX/cx
			for u := range n {
				c0 := (x0 + u*f) / cx
				c1 := (x0 + u*f + f - 1) / cx
				for c := c0; c <= c1; c++ {
					cbs[u] += uint32(m.Cb[crow+c])
					crs[u] += uint32(m.Cr[crow+c])
					cnt[u]++
				}
			}
		}
		dst := out.Pix[v*out.Stride:]
		area := uint32(f * f)
		for u := range n {
			yy := uint8((ys[u] + area/2) / area)
			cb := uint8((cbs[u] + cnt[u]/2) / cnt[u])
			cr := uint8((crs[u] + cnt[u]/2) / cnt[u])
			r, g, b := color.YCbCrToRGB(yy, cb, cr)
			dst[u*4], dst[u*4+1], dst[u*4+2], dst[u*4+3] = r, g, b, 0xff
		}
	}
}
