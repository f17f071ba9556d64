//go:build amd64 && !purego

package kernels

//go:noescape
func l2sqAVX512(x, y *float32, n int) float32

//go:noescape
func l2sqAVX2(x, y *float32, n int) float32

func l2sqAVX512Go(x, y []float32) float32 {
	if len(x) == 0 {
		return 0
	}
	y = y[:len(x)]
	return l2sqAVX512(&x[0], &y[0], len(x))
}

func l2sqAVX2Go(x, y []float32) float32 {
	y = y[:len(x)]
	n := len(x) &^ 7
	var s float32
	if n > 0 {
		s = l2sqAVX2(&x[0], &y[0], n)
	}
	return s + l2sqGeneric(x[n:], y[n:])
}

//go:noescape
func l2sqRowsAVX512(out, q *float32, dim int, data *float32, stride int, idx *uint32, n int)

//go:noescape
func dotRowsAVX512(out, q *float32, dim int, data *float32, stride int, idx *uint32, n int)

// rowsAsmMaxDim is the longest vector the AVX-512 *Rows kernels take; they
// sum in one register, which is all a short vector needs. Longer vectors
// go a call a row to the four-register kernels.
const rowsAsmMaxDim = 64

func l2sqRowsAVX512Go(out, q, data []float32, stride int, idx []uint32) {
	if len(q) > rowsAsmMaxDim || len(q) == 0 {
		rowsBy(l2sqAVX512Go, out, q, data, stride, idx)
		return
	}
	if len(idx) > 0 {
		l2sqRowsAVX512(&out[0], &q[0], len(q), &data[0], stride, &idx[0], len(idx))
	}
}

func dotRowsAVX512Go(out, q, data []float32, stride int, idx []uint32) {
	if len(q) > rowsAsmMaxDim || len(q) == 0 {
		rowsBy(dotAVX512Go, out, q, data, stride, idx)
		return
	}
	if len(idx) > 0 {
		dotRowsAVX512(&out[0], &q[0], len(q), &data[0], stride, &idx[0], len(idx))
	}
}

//go:noescape
func l2sqRowsAVX2(out, q *float32, dim int, data *float32, stride int, idx *uint32, n int)

//go:noescape
func dotRowsAVX2(out, q *float32, dim int, data *float32, stride int, idx *uint32, n int)

// The AVX2 *Rows kernels sum a short vector in one register too, the last
// dim%8 floats loaded masked; before them a call a row made a 20-d graph
// walk slower than hnswlib's.
func l2sqRowsAVX2Go(out, q, data []float32, stride int, idx []uint32) {
	if len(q) > rowsAsmMaxDim || len(q) == 0 {
		rowsBy(l2sqAVX2Go, out, q, data, stride, idx)
		return
	}
	if len(idx) > 0 {
		l2sqRowsAVX2(&out[0], &q[0], len(q), &data[0], stride, &idx[0], len(idx))
	}
}

func dotRowsAVX2Go(out, q, data []float32, stride int, idx []uint32) {
	if len(q) > rowsAsmMaxDim || len(q) == 0 {
		rowsBy(dotAVX2Go, out, q, data, stride, idx)
		return
	}
	if len(idx) > 0 {
		dotRowsAVX2(&out[0], &q[0], len(q), &data[0], stride, &idx[0], len(idx))
	}
}
