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

// The transforms use the symmetry of A: A(n-1-x, u) = (-1)^u A(x, u), so
// the outputs come in pairs, the sum and the difference of the even and
// the odd frequencies' parts, and the columns (rows) whose A is zero are
// never read.

// idct2 writes the 2x2 pixels of the block of dequantised coefficients
// coef (natural order) to dst, rows stride bytes apart. Frequencies 0, 1,
// 3, 5 and 7 contribute.
func idct2(dst []byte, stride int, coef *[64]int32) {
	a := basis2[:8]
	a0, a1, a3, a5, a7 := a[0], a[1], a[3], a[5], a[7]
	var t0, t1 [8]float32 // the rows' outputs at x = 0 and 1
	for _, v := range [5]int{0, 1, 3, 5, 7} {
		r := coef[v*8 : v*8+8]
		e := a0 * float32(r[0])
		o := a1*float32(r[1]) + a3*float32(r[3]) + a5*float32(r[5]) + a7*float32(r[7])
		t0[v], t1[v] = e+o, e-o
	}
	for x, t := range [2]*[8]float32{&t0, &t1} {
		e := a0*t[0] + 128.5
		o := a1*t[1] + a3*t[3] + a5*t[5] + a7*t[7]
		dst[x] = pixel(e + o)
		dst[stride+x] = pixel(e - o)
	}
}

// idct4 writes the 4x4 pixels of the block to dst. All frequencies but 4
// contribute.
func idct4(dst []byte, stride int, coef *[64]int32) {
	b0, b1 := basis4[0:8], basis4[8:16] // A(0, u) and A(1, u)
	// half computes the outputs 0..3 of the 1-D transform of f.
	half := func(f *[8]float32) (o0, o1, o2, o3 float32) {
		e0 := b0[0]*f[0] + b0[2]*f[2] + b0[6]*f[6]
		e1 := b1[0]*f[0] + b1[2]*f[2] + b1[6]*f[6]
		d0 := b0[1]*f[1] + b0[3]*f[3] + b0[5]*f[5] + b0[7]*f[7]
		d1 := b1[1]*f[1] + b1[3]*f[3] + b1[5]*f[5] + b1[7]*f[7]
		return e0 + d0, e1 + d1, e1 - d1, e0 - d0
	}
	var t [4][8]float32 // [x][v]: the rows' outputs
	for _, v := range [7]int{0, 1, 2, 3, 5, 6, 7} {
		var f [8]float32
		for u, c := range coef[v*8 : v*8+8] {
			f[u] = float32(c)
		}
		t[0][v], t[1][v], t[2][v], t[3][v] = half(&f)
	}
	for x := range 4 {
		o0, o1, o2, o3 := half(&t[x])
		dst[x] = pixel(o0 + 128.5)
		dst[stride+x] = pixel(o1 + 128.5)
		dst[2*stride+x] = pixel(o2 + 128.5)
		dst[3*stride+x] = pixel(o3 + 128.5)
	}
}

// pixel returns v, already offset by 128.5, rounded down into 0..255.
func pixel(v float32) uint8 {
	return uint8(min(max(v, 0), 255))
}
