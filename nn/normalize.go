package nn

import (
	"fmt"
	"math"

	"github.com/lookalike/lookalike/tensor"
)

// l2Epsilon bounds the squared norm from below, as tf.math.l2_normalize does.
const l2Epsilon = 1e-12

// L2Normalize scales each row of [n, d] input to unit Euclidean length.
type L2Normalize struct {
	inv   []float32 // 1/norm per row
	y, dx *tensor.Tensor
}

// NewL2Normalize returns an L2 normalisation layer.
func NewL2Normalize() *L2Normalize { return &L2Normalize{} }

// OutShape returns in for an input [n, d].
func (l *L2Normalize) OutShape(in []int) ([]int, error) {
	if len(in) != 2 {
		return nil, fmt.Errorf("l2_normalize: input shape %v, want [n d]", in)
	}
	return in, nil
}

// Forward returns x / max(‖x‖, 1e-6) row by row.
func (l *L2Normalize) Forward(x *tensor.Tensor, train bool) *tensor.Tensor {
	if len(x.Shape) != 2 {
		panic(fmt.Sprintf("l2_normalize: input shape %v, want [n d]", x.Shape))
	}
	n, d := x.Shape[0], x.Shape[1]
	l.y = tensor.Ensure(l.y, n, d)
	if cap(l.inv) < n {
		l.inv = make([]float32, n)
	}
	l.inv = l.inv[:n]
	for r := 0; r < n; r++ {
		l.inv[r] = normalizeRow(l.y.Data[r*d:(r+1)*d], x.Data[r*d:(r+1)*d])
	}
	return l.y
}

// normalizeRow writes src / max(‖src‖, 1e-6) into dst (which may be src)
// and returns the factor applied.
func normalizeRow(dst, src []float32) float32 {
	var ss float64
	for _, v := range src {
		ss += float64(v) * float64(v)
	}
	inv := float32(1 / math.Sqrt(max(ss, l2Epsilon)))
	for j, v := range src {
		dst[j] = v * inv
	}
	return inv
}

// Backward returns (dy - y(y·dy)) / ‖x‖ row by row.
func (l *L2Normalize) Backward(dy *tensor.Tensor) *tensor.Tensor {
	n, d := l.y.Shape[0], l.y.Shape[1]
	l.dx = tensor.Ensure(l.dx, n, d)
	for r := 0; r < n; r++ {
		y, g := l.y.Data[r*d:(r+1)*d], dy.Data[r*d:(r+1)*d]
		var dot float32
		for j := range y {
			dot += y[j] * g[j]
		}
		for j := range y {
			l.dx.Data[r*d+j] = (g[j] - y[j]*dot) * l.inv[r]
		}
	}
	return l.dx
}

// Params returns nil: the layer has no parameters.
func (l *L2Normalize) Params() []*Param { return nil }

// Spec describes the layer.
func (l *L2Normalize) Spec() Spec { return Spec{Type: "l2_normalize"} }
