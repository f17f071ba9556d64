package nn

import (
	"fmt"

	"github.com/lookalike/lookalike/tensor"
)

// GlobalAvgPool averages each channel over height and width: [n, h, w, c]
// becomes [n, c].
type GlobalAvgPool struct {
	in    []int
	y, dx *tensor.Tensor
}

// NewGlobalAvgPool returns a global average pooling layer.
func NewGlobalAvgPool() *GlobalAvgPool { return &GlobalAvgPool{} }

// OutShape returns [n, c] for an input [n, h, w, c].
func (l *GlobalAvgPool) OutShape(in []int) ([]int, error) {
	if len(in) != 4 {
		return nil, fmt.Errorf("global_avg_pool: input shape %v, want [n h w c]", in)
	}
	return []int{in[0], in[3]}, nil
}

// Forward averages over the spatial dimensions.
func (l *GlobalAvgPool) Forward(x *tensor.Tensor, train bool) *tensor.Tensor {
	if len(x.Shape) != 4 {
		panic(fmt.Sprintf("global_avg_pool: input shape %v, want [n h w c]", x.Shape))
	}
	n, hw, c := x.Shape[0], x.Shape[1]*x.Shape[2], x.Shape[3]
	l.in = append(l.in[:0], x.Shape...)
	l.y = tensor.Ensure(l.y, n, c)
	inv := 1 / float32(hw)
	for b := 0; b < n; b++ {
		y := l.y.Data[b*c : (b+1)*c]
		clear(y)
		for p := 0; p < hw; p++ {
			for j, v := range x.Data[(b*hw+p)*c : (b*hw+p+1)*c] {
				y[j] += v
			}
		}
		for j := range y {
			y[j] *= inv
		}
	}
	return l.y
}

// Backward spreads each gradient evenly over the positions it averaged.
func (l *GlobalAvgPool) Backward(dy *tensor.Tensor) *tensor.Tensor {
	n, hw, c := l.in[0], l.in[1]*l.in[2], l.in[3]
	l.dx = tensor.Ensure(l.dx, l.in...)
	inv := 1 / float32(hw)
	for b := 0; b < n; b++ {
		g := dy.Data[b*c : (b+1)*c]
		for p := 0; p < hw; p++ {
			dst := l.dx.Data[(b*hw+p)*c : (b*hw+p+1)*c]
			for j, v := range g {
				dst[j] = v * inv
			}
		}
	}
	return l.dx
}

// Params returns nil: the layer has no parameters.
func (l *GlobalAvgPool) Params() []*Param { return nil }

// Spec describes the layer.
func (l *GlobalAvgPool) Spec() Spec { return Spec{Type: "global_avg_pool"} }
