package nn

import (
	"math"

	"github.com/lookalike/lookalike/tensor"
)

// GELU is the Gaussian error linear unit x·Φ(x) with the normal CDF
// Φ(x) = (1 + erf(x/√2))/2, PyTorch's default (approximate="none"), not
// the tanh approximation. erf and exp are computed in float32 with
// rational and polynomial approximations (Eigen's fast erf, Cephes's expf)
// accurate to a few units in the last place: math.Erf cost a third of the
// fast recipe's training time.
type GELU struct {
	x, y, dx *tensor.Tensor
	cdf      []float32 // Φ(x) of the last training Forward, for Backward
}

// NewGELU returns a GELU layer.
func NewGELU() *GELU { return &GELU{} }

// Forward returns x·Φ(x), keeping x for Backward.
func (l *GELU) Forward(x *tensor.Tensor, train bool) *tensor.Tensor {
	l.x = x
	l.y = tensor.Ensure(l.y, x.Shape...)
	if cap(l.cdf) < x.Len() {
		l.cdf = make([]float32, x.Len())
	}
	l.cdf = l.cdf[:x.Len()]
	run := func(i0, i1 int) {
		y, cdf := l.y.Data, l.cdf
		for i, v := range x.Data[i0:i1] {
			c := 0.5 * (1 + erf32(v*math.Sqrt2/2))
			cdf[i0+i] = c
			y[i0+i] = v * c
		}
	}
	parallelRange(x.Len(), run)
	return l.y
}

// Backward multiplies dy by Φ(x) + x·φ(x).
func (l *GELU) Backward(dy *tensor.Tensor) *tensor.Tensor {
	l.dx = tensor.Ensure(l.dx, dy.Shape...)
	run := func(i0, i1 int) {
		const invSqrt2Pi = 0.3989422804014327
		dx, x, cdf := l.dx.Data, l.x.Data, l.cdf
		for i, g := range dy.Data[i0:i1] {
			v := x[i0+i]
			dx[i0+i] = g * (cdf[i0+i] + v*invSqrt2Pi*exp32(-0.5*v*v))
		}
	}
	parallelRange(dy.Len(), run)
	return l.dx
}

// geluF is x·Φ(x).
func geluF(x float32) float32 { return 0.5 * x * (1 + erf32(x*math.Sqrt2/2)) }

// erf32 is erf for float32, by Eigen's rational approximation on [-4, 4]
// (erf is ±1 in float32 beyond).
func erf32(x float32) float32 {
	x = min(max(x, -4), 4)
	x2 := x * x
	p := x2*-2.72614225801306e-10 + 2.77068142495902e-08
	p = x2*p - 2.10102402082508e-06
	p = x2*p - 5.69250639462346e-05
	p = x2*p - 7.34990630326855e-04
	p = x2*p - 2.95459980854025e-03
	p = x2*p - 1.60960333262415e-02
	p *= x
	q := x2*-1.45660718464996e-05 - 2.13374055278905e-04
	q = x2*q - 1.68282697438203e-03
	q = x2*q - 7.37332916720468e-03
	q = x2*q - 1.42647390514189e-02
	return p / q
}

// exp32 is e^x for float32 x <= 0 (Cephes's expf: a degree-6 polynomial
// on the reduced argument, scaled by a power of two), 0 below -87.
func exp32(x float32) float32 {
	if x < -87 {
		return 0
	}
	fx := float32(math.Floor(float64(x*math.Log2E + 0.5)))
	x -= fx * 0.693359375
	x -= fx * -2.12194440e-4
	z := x * x
	p := float32(1.9875691500e-4)
	p = p*x + 1.3981999507e-3
	p = p*x + 8.3334519073e-3
	p = p*x + 4.1665795894e-2
	p = p*x + 1.6666665459e-1
	p = p*x + 5.0000001201e-1
	p = p*z + x + 1
	return p * math.Float32frombits(uint32(int32(fx)+127)<<23)
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
