//go:build amd64 && !purego

package kernels

// The wrappers below give the assembly its pointers; the exported
// functions have checked the lengths. The AVX-512 assembly handles any
// length, the AVX2 assembly multiples of 8 (the generic code does the
// rest).

func dotAVX512Go(x, y []float32) float32 {
	if len(x) == 0 {
		return 0
	}
	y = y[:len(x)]
	return dotAVX512(&x[0], &y[0], len(x))
}

func axpyAVX512Go(alpha float32, x, y []float32) {
	if len(x) == 0 {
		return
	}
	y = y[:len(x)]
	axpyAVX512(alpha, &x[0], &y[0], len(x))
}

func scaleAVX512Go(alpha float32, x []float32) {
	if len(x) == 0 {
		return
	}
	scaleAVX512(alpha, &x[0], len(x))
}

func addAVX512Go(dst, x []float32) {
	if len(dst) == 0 {
		return
	}
	x = x[:len(dst)]
	addAVX512(&dst[0], &x[0], len(dst))
}

func mulAddAVX512Go(dst, x, w []float32) {
	if len(dst) == 0 {
		return
	}
	x, w = x[:len(dst)], w[:len(dst)]
	mulAddAVX512(&dst[0], &x[0], &w[0], len(dst))
}

func reluAVX512Go(dst, x []float32) {
	if len(dst) == 0 {
		return
	}
	x = x[:len(dst)]
	reluAVX512(&dst[0], &x[0], len(dst))
}

func reluBackwardAVX512Go(dx, dy, y []float32) {
	if len(dx) == 0 {
		return
	}
	dy = dy[:len(dx)]
	y = y[:len(dx)]
	reluBackwardAVX512(&dx[0], &dy[0], &y[0], len(dx))
}

func adamAVX512Go(p, g, m, v []float32, lr, beta1, beta2, eps, bc1, bc2 float32) {
	if len(p) == 0 {
		return
	}
	g = g[:len(p)]
	m = m[:len(p)]
	v = v[:len(p)]
	hp := newAdamParams(lr, beta1, beta2, eps, bc1, bc2)
	adamAVX512(&p[0], &g[0], &m[0], &v[0], len(p), &hp)
}

func dotAVX2Go(x, y []float32) float32 {
	y = y[:len(x)]
	n := len(x) &^ 7
	var s float32
	if n > 0 {
		s = dotAVX2(&x[0], &y[0], n)
	}
	return s + dotGeneric(x[n:], y[n:])
}

func axpyAVX2Go(alpha float32, x, y []float32) {
	y = y[:len(x)]
	n := len(x) &^ 7
	if n > 0 {
		axpyAVX2(alpha, &x[0], &y[0], n)
	}
	axpyGeneric(alpha, x[n:], y[n:])
}

func scaleAVX2Go(alpha float32, x []float32) {
	n := len(x) &^ 7
	if n > 0 {
		scaleAVX2(alpha, &x[0], n)
	}
	scaleGeneric(alpha, x[n:])
}

func addAVX2Go(dst, x []float32) {
	x = x[:len(dst)]
	n := len(dst) &^ 7
	if n > 0 {
		addAVX2(&dst[0], &x[0], n)
	}
	addGeneric(dst[n:], x[n:])
}

func mulAddAVX2Go(dst, x, w []float32) {
	x, w = x[:len(dst)], w[:len(dst)]
	n := len(dst) &^ 7
	if n > 0 {
		mulAddAVX2(&dst[0], &x[0], &w[0], n)
	}
	mulAddGeneric(dst[n:], x[n:], w[n:])
}

func reluAVX2Go(dst, x []float32) {
	x = x[:len(dst)]
	n := len(dst) &^ 7
	if n > 0 {
		reluAVX2(&dst[0], &x[0], n)
	}
	reluGeneric(dst[n:], x[n:])
}

func reluBackwardAVX2Go(dx, dy, y []float32) {
	dy = dy[:len(dx)]
	y = y[:len(dx)]
	n := len(dx) &^ 7
	if n > 0 {
		reluBackwardAVX2(&dx[0], &dy[0], &y[0], n)
	}
	reluBackwardGeneric(dx[n:], dy[n:], y[n:])
}

func adamAVX2Go(p, g, m, v []float32, lr, beta1, beta2, eps, bc1, bc2 float32) {
	g = g[:len(p)]
	m = m[:len(p)]
	v = v[:len(p)]
	n := len(p) &^ 7
	if n > 0 {
		hp := newAdamParams(lr, beta1, beta2, eps, bc1, bc2)
		adamAVX2(&p[0], &g[0], &m[0], &v[0], n, &hp)
	}
	adamGeneric(p[n:], g[n:], m[n:], v[n:], lr, beta1, beta2, eps, bc1, bc2)
}

//go:noescape
func dotAVX512(x, y *float32, n int) float32

//go:noescape
func axpyAVX512(alpha float32, x, y *float32, n int)

//go:noescape
func scaleAVX512(alpha float32, x *float32, n int)

//go:noescape
func addAVX512(dst, x *float32, n int)

//go:noescape
func mulAddAVX512(dst, x, w *float32, n int)

//go:noescape
func mulAddAVX2(dst, x, w *float32, n int)

//go:noescape
func reluAVX512(dst, x *float32, n int)

//go:noescape
func reluBackwardAVX512(dx, dy, y *float32, n int)

//go:noescape
func adamAVX512(p, grad, m, v *float32, n int, hp *adamParams)

//go:noescape
func dotAVX2(x, y *float32, n int) float32

//go:noescape
func axpyAVX2(alpha float32, x, y *float32, n int)

//go:noescape
func scaleAVX2(alpha float32, x *float32, n int)

//go:noescape
func addAVX2(dst, x *float32, n int)

//go:noescape
func reluAVX2(dst, x *float32, n int)

//go:noescape
func reluBackwardAVX2(dx, dy, y *float32, n int)

//go:noescape
func adamAVX2(p, grad, m, v *float32, n int, hp *adamParams)
