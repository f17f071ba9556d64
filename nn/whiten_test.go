package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/lookalike/lookalike/tensor"
)

func TestEigenSym(t *testing.T) {
	// [[2 1] [1 2]]: eigenvalues 3 and 1, eigenvectors (1,1)/√2, (1,-1)/√2.
	vals, vecs := eigenSym([]float64{2, 1, 1, 2}, 2)
	if math.Abs(vals[0]-3) > 1e-12 || math.Abs(vals[1]-1) > 1e-12 {
		t.Fatalf("eigenvalues %v", vals)
	}
	if math.Abs(math.Abs(vecs[0])-math.Sqrt(0.5)) > 1e-12 || math.Abs(vecs[0]-vecs[2]) > 1e-12 {
		t.Fatalf("eigenvectors %v", vecs)
	}
	// A random symmetric matrix: A v = λ v for every pair.
	rng := rand.New(rand.NewPCG(1, 2))
	const d = 12
	a := make([]float64, d*d)
	for i := range d {
		for j := i; j < d; j++ {
			v := rng.NormFloat64()
			a[i*d+j], a[j*d+i] = v, v
		}
	}
	vals, vecs = eigenSym(a, d)
	for f := range d {
		for r := range d {
			var av float64
			for c := range d {
				av += a[r*d+c] * vecs[c*d+f]
			}
			if math.Abs(av-vals[f]*vecs[r*d+f]) > 1e-9 {
				t.Fatalf("pair %d: A v != λ v", f)
			}
		}
		if f > 0 && vals[f] > vals[f-1] {
			t.Fatal("eigenvalues not in decreasing order")
		}
	}
}

// TestInitWhitening checks that the whitening layer's outputs, on the
// images it was fitted to, have zero mean and identity covariance (for
// the first half of the filters; the second half is their negation).
func TestInitWhitening(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const n, h, w, c = 20, 6, 6, 3
	x := tensor.New(n, h, w, c)
	for i := range x.Data {
		// Correlated channels with an offset, like colour images.
		base := rng.NormFloat64()
		x.Data[i] = float32(0.5 + 0.3*base + 0.1*rng.NormFloat64()*float64(i%3+1))
	}
	l := NewConv2D(c, 24, 2, 1, Valid)
	if err := l.InitWhitening(x.Data, n, h, w, 1e-9); err != nil {
		t.Fatal(err)
	}
	if !l.FrozenKernel || len(l.Params()) != 1 {
		t.Fatal("the whitening kernel is not frozen")
	}
	y := l.Forward(x, false)
	const d = 12
	m := y.Len() / 24
	mean := make([]float64, d)
	cov := make([]float64, d*d)
	for r := range m {
		row := y.Data[r*24 : r*24+d]
		for i := range d {
			mean[i] += float64(row[i]) / float64(m)
			for j := range d {
				cov[i*d+j] += float64(row[i]) * float64(row[j]) / float64(m)
			}
		}
	}
	for i := range d {
		if math.Abs(mean[i]) > 1e-3 {
			t.Fatalf("filter %d: mean %v", i, mean[i])
		}
		for j := range d {
			want := 0.0
			if i == j {
				want = 1
			}
			if math.Abs(cov[i*d+j]-want) > 1e-2 {
				t.Fatalf("covariance[%d][%d] = %v, want %v", i, j, cov[i*d+j], want)
			}
		}
	}
	if err := NewConv2D(3, 10, 2, 1, Valid).InitWhitening(x.Data, n, h, w, 1e-9); err == nil {
		t.Fatal("wrong filter count: want error")
	}
}
