package index

import (
	"math"

	"github.com/lookalike/lookalike/kernels"
)

// dot returns the inner product of x and y, which have the same length.
func dot(x, y []float32) float32 { return kernels.Dot(x, y) }

// l2sq returns the squared Euclidean distance between x and y[:len(x)].
func l2sq(x, y []float32) float32 {
	y = y[:len(x)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+8 <= len(x); i += 8 {
		xs := x[i : i+8 : i+8]
		ys := y[i : i+8 : i+8]
		d0, d1, d2, d3 := xs[0]-ys[0], xs[1]-ys[1], xs[2]-ys[2], xs[3]-ys[3]
		d4, d5, d6, d7 := xs[4]-ys[4], xs[5]-ys[5], xs[6]-ys[6], xs[7]-ys[7]
		s0 += d0*d0 + d4*d4
		s1 += d1*d1 + d5*d5
		s2 += d2*d2 + d6*d6
		s3 += d3*d3 + d7*d7
	}
	for ; i < len(x); i++ {
		d := x[i] - y[i]
		s0 += d * d
	}
	return (s0 + s1) + (s2 + s3)
}

// normalize scales v to unit length in place. A zero vector stays zero.
func normalize(v []float32) {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	if s == 0 {
		return
	}
	inv := float32(1 / math.Sqrt(s))
	for i := range v {
		v[i] *= inv
	}
}

// finite reports whether v holds no NaN and no infinity.
func finite(v []float32) bool {
	for _, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return false
		}
	}
	return true
}

// prepare validates vecs (n vectors of length dim) and returns a copy ready
// for storage or search: unit length for Cosine, unchanged otherwise.
func prepare(vecs []float32, dim int, metric Metric) ([]float32, error) {
	if !finite(vecs) {
		return nil, ErrInvalidVector
	}
	out := make([]float32, len(vecs))
	copy(out, vecs)
	if metric == Cosine {
		for i := 0; i+dim <= len(out); i += dim {
			normalize(out[i : i+dim])
		}
	}
	return out, nil
}
