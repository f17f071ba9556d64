//go:build amd64 && !purego

package kernels

//go:noescape
func sumRowsAVX512(dst, x *float32, rows, cols int)

func sumRowsAVX512Go(dst, x []float32, rows int) {
	sumRowsAVX512(&dst[0], &x[0], rows, len(dst))
}
