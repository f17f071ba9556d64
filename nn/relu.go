package nn

import (
	"github.com/lookalike/lookalike/kernels"
	"github.com/lookalike/lookalike/tensor"
)

// ReLU is the rectified linear unit max(x, 0).
type ReLU struct {
	y, dx *tensor.Tensor
}

// NewReLU returns a ReLU layer.
func NewReLU() *ReLU { return &ReLU{} }

// Forward returns max(x, 0).
func (l *ReLU) Forward(x *tensor.Tensor, train bool) *tensor.Tensor {
	l.y = tensor.Ensure(l.y, x.Shape...)
	kernels.ReLU(l.y.Data, x.Data)
	return l.y
}

// Backward passes dy where the output was positive.
func (l *ReLU) Backward(dy *tensor.Tensor) *tensor.Tensor {
	l.dx = tensor.Ensure(l.dx, dy.Shape...)
	kernels.ReLUBackward(l.dx.Data, dy.Data, l.y.Data)
	return l.dx
}

// Params returns nil: the layer has no parameters.
func (l *ReLU) Params() []*Param { return nil }

// OutShape returns in.
func (l *ReLU) OutShape(in []int) ([]int, error) { return in, nil }

// Spec describes the layer.
func (l *ReLU) Spec() Spec { return Spec{Type: "relu"} }
