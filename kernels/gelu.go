package kernels

import (
	"fmt"
	"math"
)

// GELU sets y[i] = x[i]·Φ(x[i]) and cdf[i] = Φ(x[i]), where Φ is the normal
// CDF (1 + erf(x/√2))/2: the exact GELU, PyTorch's default. erf is Eigen's
// rational approximation in float32 (a few units in the last place). It
// panics if the lengths differ.
func GELU(y, cdf, x []float32) {
	if len(y) != len(x) || len(cdf) != len(x) {
		panic(fmt.Sprintf("kernels.GELU: lengths %d, %d and %d differ", len(y), len(cdf), len(x)))
	}
	active.gelu(y, cdf, x)
}

// GELUBackward sets dx[i] = dy[i]·(cdf[i] + x[i]·φ(x[i])), the gradient of
// GELU, from its input x and the cdf GELU returned; φ is the normal
// density, with exp in float32 (Cephes's expf). It panics if the lengths
// differ.
func GELUBackward(dx, dy, x, cdf []float32) {
	if len(dx) != len(dy) || len(dx) != len(x) || len(dx) != len(cdf) {
		panic(fmt.Sprintf("kernels.GELUBackward: lengths %d, %d, %d and %d differ", len(dx), len(dy), len(x), len(cdf)))
	}
	active.geluBackward(dx, dy, x, cdf)
}

// The constants of the approximations, shared with the assembly.
const (
	erfClamp = 4 // erf is ±1 in float32 beyond
	erfA13   = -2.72614225801306e-10
	erfA11   = 2.77068142495902e-08
	erfA9    = -2.10102402082508e-06
	erfA7    = -5.69250639462346e-05
	erfA5    = -7.34990630326855e-04
	erfA3    = -2.95459980854025e-03
	erfA1    = -1.60960333262415e-02
	erfB8    = -1.45660718464996e-05
	erfB6    = -2.13374055278905e-04
	erfB4    = -1.68282697438203e-03
	erfB2    = -7.37332916720468e-03
	erfB0    = -1.42647390514189e-02

	expLow = -87.0 // e^x is 0 in float32 below
	expC1  = 0.693359375
	expC2  = -2.12194440e-4
	expP0  = 1.9875691500e-4
	expP1  = 1.3981999507e-3
	expP2  = 8.3334519073e-3
	expP3  = 4.1665795894e-2
	expP4  = 1.6666665459e-1
	expP5  = 5.0000001201e-1

	invSqrt2Pi = 0.3989422804014327
)

// erf32 is erf for float32 by Eigen's rational approximation on [-4, 4].
func erf32(x float32) float32 {
	x = min(max(x, -erfClamp), erfClamp)
	x2 := x * x
	p := x2*erfA13 + erfA11
	p = x2*p + erfA9
	p = x2*p + erfA7
	p = x2*p + erfA5
	p = x2*p + erfA3
	p = x2*p + erfA1
	p *= x
	q := x2*erfB8 + erfB6
	q = x2*q + erfB4
	q = x2*q + erfB2
	q = x2*q + erfB0
	return p / q
}

// exp32 is e^x for float32 x <= 0 (Cephes's expf: a polynomial on the
// reduced argument, scaled by a power of two), 0 below -87.
func exp32(x float32) float32 {
	if x < expLow {
		return 0
	}
	fx := float32(math.Floor(float64(x*math.Log2E + 0.5)))
	x -= fx * expC1
	x -= fx * expC2
	z := x * x
	p := float32(expP0)
	p = p*x + expP1
	p = p*x + expP2
	p = p*x + expP3
	p = p*x + expP4
	p = p*x + expP5
	p = p*z + x + 1
	return p * math.Float32frombits(uint32(int32(fx)+127)<<23)
}

func geluGeneric(y, cdf, x []float32) {
	cdf = cdf[:len(x)]
	y = y[:len(x)]
	for i, v := range x {
		c := 0.5 * (1 + erf32(v*math.Sqrt2/2))
		cdf[i] = c
		y[i] = v * c
	}
}

func geluBackwardGeneric(dx, dy, x, cdf []float32) {
	dy, x, cdf = dy[:len(dx)], x[:len(dx)], cdf[:len(dx)]
	for i, g := range dy {
		v := x[i]
		dx[i] = g * (cdf[i] + v*invSqrt2Pi*exp32(-0.5*v*v))
	}
}
