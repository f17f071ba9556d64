package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestErfExp32 checks the float32 erf and exp against the standard library
// over the range that matters.
func TestErfExp32(t *testing.T) {
	for x := -10.0; x <= 10; x += 0.001 {
		if d := math.Abs(float64(erf32(float32(x))) - math.Erf(x)); d > 5e-7 {
			t.Fatalf("erf32(%v) off by %g", x, d)
		}
		if x <= 0 {
			want := math.Exp(x)
			if d := math.Abs(float64(exp32(float32(x)))-want) / want; d > 1e-6 {
				t.Fatalf("exp32(%v) off by %g relative", x, d)
			}
		}
	}
	if exp32(-100) != 0 {
		t.Fatal("exp32(-100) is not 0")
	}
}

// TestGELU checks every path's GELU and its gradient against float64
// formulas, on every tail length.
func TestGELU(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(5, 5))
		for _, n := range vecLengths {
			x := make([]float32, n)
			for i := range x {
				x[i] = float32(r.NormFloat64() * 3)
				if i%17 == 5 {
					x[i] = float32(r.Float64()*40 - 20) // far tails
				}
			}
			y, cdf := make([]float32, n), make([]float32, n)
			GELU(y, cdf, x)
			dy := randSlice(r, n)
			dx := make([]float32, n)
			GELUBackward(dx, dy, x, cdf)
			for i, v := range x {
				xv := float64(v)
				phi := 0.5 * (1 + math.Erf(xv/math.Sqrt2))
				if d := math.Abs(float64(cdf[i]) - phi); d > 1e-6 {
					t.Fatalf("n=%d: Φ(%g) = %g, want %g", n, v, cdf[i], phi)
				}
				if d := math.Abs(float64(y[i]) - xv*phi); d > 2e-6*(1+math.Abs(xv)) {
					t.Fatalf("n=%d: GELU(%g) = %g, want %g", n, v, y[i], xv*phi)
				}
				g := float64(dy[i]) * (phi + xv*math.Exp(-0.5*xv*xv)/math.Sqrt(2*math.Pi))
				if d := math.Abs(float64(dx[i]) - g); d > 3e-6*(1+math.Abs(float64(dy[i]))) {
					t.Fatalf("n=%d: GELU'(%g)·%g = %g, want %g", n, v, dy[i], dx[i], g)
				}
			}
		}
	})
}
