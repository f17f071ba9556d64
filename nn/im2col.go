package nn

// im2col writes, for each output position of an NHWC input, the k*k*c patch
// it sees as one row of col (zeros where the patch hangs over the padding).
// Within a row the order is (ky, kx, channel), matching the kernel layout.
func im2col(x, col []float32, n, h, w, c, k, stride, oh, ow, padT, padL int) {
	kk := k * k * c
	r := 0
	for b := 0; b < n; b++ {
		img := x[b*h*w*c : (b+1)*h*w*c]
		for oy := 0; oy < oh; oy++ {
			for ox := 0; ox < ow; ox++ {
				row := col[r*kk : (r+1)*kk]
				r++
				i := 0
				for ky := 0; ky < k; ky++ {
					iy := oy*stride + ky - padT
					for kx := 0; kx < k; kx++ {
						ix := ox*stride + kx - padL
						dst := row[i : i+c]
						i += c
						if iy < 0 || iy >= h || ix < 0 || ix >= w {
							clear(dst)
							continue
						}
						copy(dst, img[(iy*w+ix)*c:])
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
	kk := k * k * c
	r := 0
	for b := 0; b < n; b++ {
		img := dx[b*h*w*c : (b+1)*h*w*c]
		for oy := 0; oy < oh; oy++ {
			for ox := 0; ox < ow; ox++ {
				row := col[r*kk : (r+1)*kk]
				r++
				i := 0
				for ky := 0; ky < k; ky++ {
					iy := oy*stride + ky - padT
					for kx := 0; kx < k; kx++ {
						ix := ox*stride + kx - padL
						src := row[i : i+c]
						i += c
						if iy < 0 || iy >= h || ix < 0 || ix >= w {
							continue
						}
						dst := img[(iy*w+ix)*c : (iy*w+ix)*c+c]
						for j, v := range src {
							dst[j] += v
						}
					}
				}
			}
		}
	}
}
