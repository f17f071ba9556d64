//go:build amd64 && !purego

package kernels

// transpose16 sets dst[j*ldd+i] = src[i*lds+j] for i, j < 16, adding
// beta*dst[j*ldd+i] when add != 0 (transpose_amd64.s, AVX-512).
//
//go:noescape
func transpose16(dst *float32, ldd int, src *float32, lds int, beta float32, add int)

// transposeBlocks (AVX-512) sets dst[j*ldd+i] = src[i*lds+j] (+ beta*dst[j*ldd+i]
// when add) for i < rows, j < cols: whole 16 x 16 blocks with
// transpose16, the edges in Go.
func transposeBlocks(dst []float32, ldd int, src []float32, lds, rows, cols int, beta float32, add bool) {
	if rows == 0 || cols == 0 {
		return
	}
	_ = dst[(cols-1)*ldd+rows-1]
	_ = src[(rows-1)*lds+cols-1]
	flag := 0
	if add {
		flag = 1
	}
	r16, c16 := rows&^15, cols&^15
	for i := 0; i < r16; i += 16 {
		for j := 0; j < c16; j += 16 {
			transpose16(&dst[j*ldd+i], ldd, &src[i*lds+j], lds, beta, flag)
		}
	}
	edge := func(i0, i1, j0, j1 int) {
		for j := j0; j < j1; j++ {
			d := dst[j*ldd : j*ldd+i1]
			for i := i0; i < i1; i++ {
				v := src[i*lds+j]
				if add {
					v += beta * d[i]
				}
				d[i] = v
			}
		}
	}
	edge(0, r16, c16, cols)
	edge(r16, rows, 0, cols)
}
