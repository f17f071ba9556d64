package scaledjpeg

import "math"

// The reduced inverse DCTs, as libjpeg's jidctred.c computes them: each
// output pixel is the mean of the 8/n x 8/n pixels it stands for in the
// block's full 8x8 inverse DCT, which is linear in the coefficients:
//
//	f(y, x) = sum over u, v < 8 of F(v, u) A(y, v) A(x, u)
//	A(x, u) = n/8 sum over i in x's 8/n pixels of C(u)/2 cos((2i+1)uπ/16)
//
// with C(0) = 1/√2 and C(u) = 1 otherwise. The even frequencies above 0
// that average to zero over every group drop out (at 1/4: u = 2, 4, 6; at
// 1/2: u = 4).

// basis2 and basis4 hold A at [x*8+u] for n = 2 and 4 output pixels a side.
var basis2, basis4 = basis(2), basis(4)

// basis returns A for n output pixels a side, flattened as [x*8+u]; terms
// below 1e-9 (those that cancel) are exactly zero.
func basis(n int) []float32 {
	b := make([]float32, n*8)
	g := 8 / n
	for x := range n {
		for u := range 8 {
			c := 0.5
			if u == 0 {
				c = 0.5 / math.Sqrt2
			}
			var s float64
			for i := x * g; i < (x+1)*g; i++ {
				s += c * math.Cos(float64(2*i+1)*float64(u)*math.Pi/16)
			}
			if s /= float64(g); math.Abs(s) < 1e-9 {
				s = 0
			}
			b[x*8+u] = float32(s)
		}
	}
	return b
}

// idct2 writes the 2x2 pixels of the block of dequantised coefficients
// coef (natural order) to dst, rows stride bytes apart.
func idct2(dst []byte, stride int, coef *[64]int32) {
	idctN(dst, stride, coef, basis2, 2)
}

// idct4 writes the 4x4 pixels of the block to dst.
func idct4(dst []byte, stride int, coef *[64]int32) {
	idctN(dst, stride, coef, basis4, 4)
}

// idctN is the separable reduced transform: rows, then columns.
func idctN(dst []byte, stride int, coef *[64]int32, b []float32, n int) {
	var tmp [32]float32 // [v][x]
	for v := range 8 {
		row := coef[v*8 : v*8+8]
		for x := range n {
			bx := b[x*8 : x*8+8]
			var s float32
			for u, f := range row {
				s += bx[u] * float32(f)
			}
			tmp[v*n+x] = s
		}
	}
	for y := range n {
		by := b[y*8 : y*8+8]
		out := dst[y*stride : y*stride+n]
		for x := range out {
			s := float32(128.5)
			for v := range 8 {
				s += by[v] * tmp[v*n+x]
			}
			out[x] = uint8(min(max(s, 0), 255))
		}
	}
}
