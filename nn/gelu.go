package nn

import (
	"math"

	"github.com/lookalike/lookalike/tensor"
)

// GELU is the Gaussian error linear unit x·Φ(x) with the exact normal CDF
// Φ(x) = (1 + erf(x/√2))/2, PyTorch's default (approximate="none").
type GELU struct {
	x, y, dx *tensor.Tensor
}

// NewGELU returns a GELU layer.
func NewGELU() *GELU { return &GELU{} }

// Forward returns x·Φ(x), keeping x for Backward.
func (l *GELU) Forward(x *tensor.Tensor, train bool) *tensor.Tensor {
	l.x = x
	l.y = tensor.Ensure(l.y, x.Shape...)
	run := func(i0, i1 int) {
		y := l.y.Data
		for i, v := range x.Data[i0:i1] {
			y[i0+i] = float32(geluF(float64(v)))
		}
	}
	parallelRange(x.Len(), run)
	return l.y
}

// Backward multiplies dy by Φ(x) + x·φ(x).
func (l *GELU) Backward(dy *tensor.Tensor) *tensor.Tensor {
	l.dx = tensor.Ensure(l.dx, dy.Shape...)
	run := func(i0, i1 int) {
		dx, x := l.dx.Data, l.x.Data
		for i, g := range dy.Data[i0:i1] {
			dx[i0+i] = g * float32(geluGrad(float64(x[i0+i])))
		}
	}
	parallelRange(dy.Len(), run)
	return l.dx
}

// geluF is x·Φ(x).
func geluF(x float64) float64 { return 0.5 * x * (1 + math.Erf(x/math.Sqrt2)) }

// geluGrad is the derivative of x·Φ(x): Φ(x) + x·φ(x).
func geluGrad(x float64) float64 {
	return 0.5*(1+math.Erf(x/math.Sqrt2)) + x*math.Exp(-0.5*x*x)/math.Sqrt(2*math.Pi)
}

// parallelRange calls fn on ranges covering 0..n, on several goroutines
// when n is large enough to be worth it.
func parallelRange(n int, fn func(i0, i1 int)) {
	if s := splits(n, 1); s > 1 {
		parallelImages(n, s, fn)
		return
	}
	fn(0, n)
}

// Params returns nil: the layer has no parameters.
func (l *GELU) Params() []*Param { return nil }

// OutShape returns in.
func (l *GELU) OutShape(in []int) ([]int, error) { return in, nil }

// Spec describes the layer.
func (l *GELU) Spec() Spec { return Spec{Type: "gelu"} }
