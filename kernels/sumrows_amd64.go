//go:build amd64 && !purego

package kernels

//go:noescape
func sumRowsAVX512(dst, x *float32, rows, cols int)

func sumRowsAVX512Go(dst, x []float32, rows int) {
	sumRowsAVX512(&dst[0], &x[0], rows, len(dst))
}

//go:noescape
func sumRowsAVX2(dst, x *float32, rows, cols, stride int)

// sumRowsAVX2Go sums whole blocks of 8 columns in assembly and the last
// few columns in Go.
func sumRowsAVX2Go(dst, x []float32, rows int) {
	cols := len(dst)
	if full := cols &^ 7; full > 0 {
		sumRowsAVX2(&dst[0], &x[0], rows, full, cols)
	}
	for j := cols &^ 7; j < cols; j++ {
		s := dst[j]
		for r := range rows {
			s += x[r*cols+j]
		}
		dst[j] = s
	}
}
