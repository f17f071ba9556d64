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

// MulAdd computes dst += x*w, element by element (one fused multiply-add
// each on the assembly paths): a depthwise convolution's tap. It panics if
// the lengths differ.
func MulAdd(dst, x, w []float32) {
	if len(dst) != len(x) || len(dst) != len(w) {
		panic(fmt.Sprintf("kernels.MulAdd: lengths %d, %d and %d differ", len(dst), len(x), len(w)))
	}
	active.mulAdd(dst, x, w)
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

func mulAddGeneric(dst, x, w []float32) {
	x, w = x[:len(dst)], w[:len(dst)]
	for i := range dst {
		dst[i] = float32(math.FMA(float64(x[i]), float64(w[i]), float64(dst[i])))
	}
}

func reluGeneric(dst, x []float32) {
	x = x[:len(dst)]
	for i, v := range x {
		dst[i] = math.Float32frombits(math.Float32bits(v) & positiveMask(v))
	}
}

func reluBackwardGeneric(dx, dy, y []float32) {
	dy = dy[:len(dx)]
	y = y[:len(dx)]
	for i := range dx {
		dx[i] = math.Float32frombits(math.Float32bits(dy[i]) & positiveMask(y[i]))
	}
}

// positiveMask returns all ones if v > 0 and zero otherwise (NaN
// included), without a branch: random signs would defeat the predictor.
// v > 0 exactly when its bits, less one, are below those of +Inf.
func positiveMask(v float32) uint32 {
	b := int64(math.Float32bits(v)-1) - 0x7f800000
	return uint32(b >> 63)
}

// adamParams holds the constants of one Adam step in the form the kernels
// use. The field order is relied on by the assembly.
type adamParams struct {
	b1, c1 float32 // beta1, 1-beta1
	b2, c2 float32 // beta2, 1-beta2
	step   float32 // lr/bc1
	isb    float32 // 1/sqrt(bc2)
	eps    float32
}

// newAdamParams folds the bias corrections into the step size and the
// scale of sqrt(v), as PyTorch does: lr*(m/bc1)/(sqrt(v/bc2)+eps) is
// (lr/bc1)*m/(sqrt(v)/sqrt(bc2)+eps).
func newAdamParams(lr, beta1, beta2, eps, bc1, bc2 float32) adamParams {
	return adamParams{
		b1: beta1, c1: 1 - beta1,
		b2: beta2, c2: 1 - beta2,
		step: lr / bc1,
		isb:  float32(1 / math.Sqrt(float64(bc2))),
		eps:  eps,
	}
}

func adamGeneric(p, g, m, v []float32, lr, beta1, beta2, eps, bc1, bc2 float32) {
	g = g[:len(p)]
	m = m[:len(p)]
	v = v[:len(p)]
	hp := newAdamParams(lr, beta1, beta2, eps, bc1, bc2)
	for i := range p {
		gi := g[i]
		mi := hp.b1*m[i] + hp.c1*gi
		vi := hp.b2*v[i] + hp.c2*(gi*gi)
		m[i], v[i] = mi, vi
		p[i] -= hp.step * (mi / (float32(math.Sqrt(float64(vi)))*hp.isb + hp.eps))
	}
}
