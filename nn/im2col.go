package nn

import "github.com/lookalike/lookalike/kernels"

// im2col writes, for each output position of an NHWC input, the k*k*c patch
// it sees as one row of col (zeros where the patch hangs over the padding).
// Within a row the order is (ky, kx, channel), matching the kernel layout,
// so each kernel row that lies inside the image is one contiguous copy.
func im2col(x, col []float32, n, h, w, c, k, stride, oh, ow, padT, padL int) {
	kk, kc := k*k*c, k*c
	r := 0
	for b := 0; b < n; b++ {
		img := x[b*h*w*c : (b+1)*h*w*c]
		for oy := 0; oy < oh; oy++ {
			for ox := 0; ox < ow; ox++ {
				row := col[r*kk : (r+1)*kk]
				r++
				ix0 := ox*stride - padL
				for ky := 0; ky < k; ky++ {
					iy := oy*stride + ky - padT
					dst := row[ky*kc : (ky+1)*kc]
					if iy < 0 || iy >= h {
						clear(dst)
						continue
					}
					line := img[iy*w*c : (iy+1)*w*c]
					if ix0 >= 0 && ix0+k <= w {
						copy(dst, line[ix0*c:(ix0+k)*c])
						continue
					}
					for kx := 0; kx < k; kx++ {
						ix := ix0 + kx
						if ix < 0 || ix >= w {
							clear(dst[kx*c : (kx+1)*c])
						} else {
							copy(dst[kx*c:(kx+1)*c], line[ix*c:(ix+1)*c])
						}
					}
				}
			}
		}
	}
}

// col2im is the adjoint of im2col: it sums each row of col back into the
// input positions it was gathered from. dx is overwritten.
func col2im(col, dx []float32, n, h, w, c, k, stride, oh, ow, padT, padL int) {
	clear(dx)
	kk, kc := k*k*c, k*c
	r := 0
	for b := 0; b < n; b++ {
		img := dx[b*h*w*c : (b+1)*h*w*c]
		for oy := 0; oy < oh; oy++ {
			for ox := 0; ox < ow; ox++ {
				row := col[r*kk : (r+1)*kk]
				r++
				ix0 := ox*stride - padL
				for ky := 0; ky < k; ky++ {
					iy := oy*stride + ky - padT
					if iy < 0 || iy >= h {
						continue
					}
					src := row[ky*kc : (ky+1)*kc]
					line := img[iy*w*c : (iy+1)*w*c]
					if ix0 >= 0 && ix0+k <= w {
						kernels.Add(line[ix0*c:(ix0+k)*c], src)
						continue
					}
					for kx := 0; kx < k; kx++ {
						if ix := ix0 + kx; ix >= 0 && ix < w {
							kernels.Add(line[ix*c:(ix+1)*c], src[kx*c:(kx+1)*c])
						}
					}
				}
			}
		}
	}
}
