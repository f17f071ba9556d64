package index

import (
	"math"
)

// sq8 is an int8 scalar quantiser: each dimension d of a vector maps its
// range [lo[d], lo[d]+255*step[d]] onto the codes 0..255, so a vector takes
// a byte a dimension, a quarter of its float32 size. Scores come from the
// codes with integer products (kernels.DotU8S8Rows): a query q is folded
// into w[d] = q[d]*step[d], itself quantised to -127..127 with one scale, and
//
//	q·x ≈ q·lo + scale * Σ qi[d]*code[d].
//
// The errors (half a step a dimension, and the query's rounding) make the
// order of close candidates approximate; the float vectors re-rank the best.
type sq8 struct {
	lo, step []float32
	// cvar is the variance of each dimension's codes over the rows coded
	// when the quantiser was fitted (see fitCodeVariance), nil until then.
	cvar []float32
}

// fitSQ8 fits the ranges of the dimensions to vecs (n rows of dim), a
// little widened so that later vectors from the same distribution rarely
// clip.
func fitSQ8(vecs []float32, dim int) *sq8 {
	lo, hi := make([]float32, dim), make([]float32, dim)
	for d := range dim {
		lo[d], hi[d] = float32(math.Inf(1)), float32(math.Inf(-1))
	}
	for i := 0; i+dim <= len(vecs); i += dim {
		for d, v := range vecs[i : i+dim] {
			lo[d], hi[d] = min(lo[d], v), max(hi[d], v)
		}
	}
	q := &sq8{lo: lo, step: make([]float32, dim)}
	for d := range dim {
		if lo[d] > hi[d] { // no vectors
			lo[d], hi[d] = -1, 1
		}
		pad := (hi[d] - lo[d]) * 0.01
		lo[d] -= pad
		width := hi[d] + pad - lo[d]
		if width <= 0 {
			width = 1e-6
		}
		q.step[d] = width / 255
	}
	return q
}

// encode writes v's codes to dst and returns the squared norm of the
// vector the codes stand for (for L2 scores).
func (q *sq8) encode(dst []uint8, v []float32) float32 {
	var norm float32
	for d, x := range v {
		c := math.Round(float64((x - q.lo[d]) / q.step[d]))
		c = max(0, min(255, c))
		dst[d] = uint8(c)
		y := q.lo[d] + float32(c)*q.step[d]
		norm += y * y
	}
	return norm
}

// query prepares q for scoring codes: the int8 weights (within +-top:
// 127, or less for a kernel that takes less), their scale and the
// constant term q·lo.
func (s *sq8) query(dst []int8, q []float32, top int) (scale, bias float32) {
	var peak float32
	for d, x := range q {
		peak = max(peak, float32(math.Abs(float64(x*s.step[d]))))
		bias += x * s.lo[d]
	}
	if peak == 0 {
		clear(dst)
		return 0, bias
	}
	scale = peak / float32(top)
	for d, x := range q {
		dst[d] = int8(math.Round(float64(x * s.step[d] / scale)))
	}
	return scale, bias
}

// margin returns how far below the k-th best approximate key a row's
// approximate key may lie and still be among the k best by the decoded
// vectors: three standard deviations of the difference of two rows'
// errors. A row's error has two parts: its codes' rounding (uniform within
// half a step, so variance (q[d]*step[d])²/12 a dimension) and the query's
// rounding, e[d] = q[d]*step[d] - scale*qi[d] times the row's code. In the
// difference of two rows the query's part is Σ e[d]*(c1[d]-c2[d]), of
// variance 2 Σ e[d]² var(c[d]) with var the codes' variance in each
// dimension (cvar; 255²/3, a bound for any codes, before it is known).
func (s *sq8) margin(q []float32, qi []int8, scale float32) float32 {
	var v float64
	for d, x := range q {
		w := float64(x * s.step[d])
		e := w - float64(scale)*float64(qi[d])
		cv := 255.0 * 255 / 3
		if s.cvar != nil {
			cv = float64(s.cvar[d])
		}
		v += w*w/12 + e*e*cv
	}
	return float32(3 * math.Sqrt(2*v))
}

// fitCodeVariance sets cvar from the codes of rows (dim bytes each).
func (s *sq8) fitCodeVariance(codes []uint8, dim int) {
	n := len(codes) / dim
	sum, sq := make([]float64, dim), make([]float64, dim)
	for i := range n {
		for d, c := range codes[i*dim : (i+1)*dim] {
			sum[d] += float64(c)
			sq[d] += float64(c) * float64(c)
		}
	}
	s.cvar = make([]float32, dim)
	for d := range dim {
		if n == 0 {
			s.cvar[d] = 255 * 255 / 3
			continue
		}
		m := sum[d] / float64(n)
		s.cvar[d] = float32(max(0, sq[d]/float64(n)-m*m))
	}
}
