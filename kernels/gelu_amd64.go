//go:build amd64 && !purego

package kernels

// The AVX-512 GELU kernels take multiples of 16 floats; the generic code
// does the rest.

//go:noescape
func geluAVX512(y, cdf, x *float32, n int)

//go:noescape
func geluBackwardAVX512(dx, dy, x, cdf *float32, n int)

func geluAVX512Go(y, cdf, x []float32) {
	n := len(x) &^ 15
	if n > 0 {
		geluAVX512(&y[0], &cdf[0], &x[0], n)
	}
	geluGeneric(y[n:], cdf[n:], x[n:])
}

func geluBackwardAVX512Go(dx, dy, x, cdf []float32) {
	n := len(dx) &^ 15
	if n > 0 {
		geluBackwardAVX512(&dx[0], &dy[0], &x[0], &cdf[0], n)
	}
	geluBackwardGeneric(dx[n:], dy[n:], x[n:], cdf[n:])
}
