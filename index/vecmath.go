package index

import (
	"math"

	"github.com/lookalike/lookalike/kernels"
)

// dot returns the inner product of x and y, which have the same length.
func dot(x, y []float32) float32 { return kernels.Dot(x, y) }

// l2sq returns the squared Euclidean distance between x and y, which have
// the same length.
func l2sq(x, y []float32) float32 { return kernels.L2Sq(x, y) }

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
