package nn

import (
	"github.com/lookalike/lookalike/kernels"
	"github.com/lookalike/lookalike/tensor"
)

// GELU is the Gaussian error linear unit x·Φ(x) with the normal CDF
// Φ(x) = (1 + erf(x/√2))/2, PyTorch's default (approximate="none"), not
// the tanh approximation; see kernels.GELU for the arithmetic.
type GELU struct {
	x, y, dx *tensor.Tensor
	cdf      []float32 // Φ(x) of the last Forward, for Backward
}

// NewGELU returns a GELU layer.
func NewGELU() *GELU { return &GELU{} }

// Forward returns x·Φ(x), keeping x and Φ(x) for Backward.
func (l *GELU) Forward(x *tensor.Tensor, train bool) *tensor.Tensor {
	l.x = x
	l.y = tensor.Ensure(l.y, x.Shape...)
	if cap(l.cdf) < x.Len() {
		l.cdf = make([]float32, x.Len())
	}
	l.cdf = l.cdf[:x.Len()]
	parallelRange(x.Len(), func(i0, i1 int) {
		kernels.GELU(l.y.Data[i0:i1], l.cdf[i0:i1], x.Data[i0:i1])
	})
	return l.y
}

// Backward multiplies dy by Φ(x) + x·φ(x).
func (l *GELU) Backward(dy *tensor.Tensor) *tensor.Tensor {
	l.dx = tensor.Ensure(l.dx, dy.Shape...)
	parallelRange(dy.Len(), func(i0, i1 int) {
		kernels.GELUBackward(l.dx.Data[i0:i1], dy.Data[i0:i1], l.x.Data[i0:i1], l.cdf[i0:i1])
	})
	return l.dx
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
