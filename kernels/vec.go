package kernels

import (
	"fmt"
	"math"
)

// Dot returns the dot product of x and y. It panics if their lengths
// differ.
func Dot(x, y []float32) float32 {
	if len(x) != len(y) {
		panic(lengthError("Dot", len(x), len(y)))
	}
	return active.dot(x, y)
}

// Axpy computes y += alpha*x. It panics if the lengths of x and y differ.
func Axpy(alpha float32, x, y []float32) {
	if len(x) != len(y) {
		panic(lengthError("Axpy", len(x), len(y)))
	}
	active.axpy(alpha, x, y)
}

// Scale computes x *= alpha.
func Scale(alpha float32, x []float32) {
	active.scale(alpha, x)
}

// Add computes dst += x. It panics if the lengths of dst and x differ.
func Add(dst, x []float32) {
	if len(dst) != len(x) {
		panic(lengthError("Add", len(dst), len(x)))
	}
	active.add(dst, x)
}

// ReLU sets dst[i] = max(x[i], 0). dst and x may be the same slice. It
// panics if their lengths differ. A NaN in x gives 0.
func ReLU(dst, x []float32) {
	if len(dst) != len(x) {
		panic(lengthError("ReLU", len(dst), len(x)))
	}
	active.relu(dst, x)
}

// ReLUBackward computes the gradient of ReLU from its output y: dx[i] is
// dy[i] where y[i] > 0 and 0 elsewhere. dx may be the same slice as dy. It
// panics if the lengths differ.
func ReLUBackward(dx, dy, y []float32) {
	if len(dx) != len(dy) || len(dx) != len(y) {
		panic(fmt.Sprintf("kernels.ReLUBackward: lengths %d, %d and %d differ", len(dx), len(dy), len(y)))
	}
	active.reluBackward(dx, dy, y)
}

// Adam applies one Adam step to the parameters p with gradients g, updating
// the first and second moment estimates m and v in place:
//
//	m = beta1*m + (1-beta1)*g
//	v = beta2*v + (1-beta2)*g*g
//	p -= lr * (m/bc1) / (sqrt(v/bc2) + eps)
//
// where bc1 = 1-beta1^t and bc2 = 1-beta2^t are the bias corrections for
// step t (counted from 1). This is the update of Keras and PyTorch, with
// eps added to the square root of the corrected v. It panics if the lengths
// of p, g, m and v differ.
func Adam(p, g, m, v []float32, lr, beta1, beta2, eps, bc1, bc2 float32) {
	if len(g) != len(p) || len(m) != len(p) || len(v) != len(p) {
		panic(fmt.Sprintf("kernels.Adam: lengths %d, %d, %d and %d differ", len(p), len(g), len(m), len(v)))
	}
	active.adam(p, g, m, v, lr, beta1, beta2, eps, bc1, bc2)
}

func lengthError(fn string, a, b int) string {
	return fmt.Sprintf("kernels.%s: lengths %d and %d differ", fn, a, b)
}

// The generic versions below are the portable path; the assembly versions
// also use them for the tails of their slices.

func dotGeneric(x, y []float32) float32 {
	y = y[:len(x)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += x[i] * y[i]
		s1 += x[i+1] * y[i+1]
		s2 += x[i+2] * y[i+2]
		s3 += x[i+3] * y[i+3]
	}
	for ; i < len(x); i++ {
		s0 += x[i] * y[i]
	}
	return (s0 + s1) + (s2 + s3)
}

func axpyGeneric(alpha float32, x, y []float32) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] += alpha * v
	}
}

func scaleGeneric(alpha float32, x []float32) {
	for i := range x {
		x[i] *= alpha
	}
}

func addGeneric(dst, x []float32) {
	x = x[:len(dst)]
	for i := range dst {
		dst[i] += x[i]
	}
}

func reluGeneric(dst, x []float32) {
	x = x[:len(dst)]
	for i, v := range x {
		if v > 0 {
			dst[i] = v
		} else {
			dst[i] = 0
		}
	}
}

func reluBackwardGeneric(dx, dy, y []float32) {
	dy = dy[:len(dx)]
	y = y[:len(dx)]
	for i := range dx {
		if y[i] > 0 {
			dx[i] = dy[i]
		} else {
			dx[i] = 0
		}
	}
}

func adamGeneric(p, g, m, v []float32, lr, beta1, beta2, eps, bc1, bc2 float32) {
	g = g[:len(p)]
	m = m[:len(p)]
	v = v[:len(p)]
	c1, c2 := 1-beta1, 1-beta2
	for i := range p {
		gi := g[i]
		mi := beta1*m[i] + c1*gi
		vi := beta2*v[i] + c2*gi*gi
		m[i], v[i] = mi, vi
		p[i] -= lr * (mi / bc1) / (float32(math.Sqrt(float64(vi/bc2))) + eps)
	}
}
