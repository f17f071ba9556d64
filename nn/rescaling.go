package nn

import (
	"github.com/lookalike/lookalike/kernels"
	"github.com/lookalike/lookalike/tensor"
)

// Rescaling multiplies its input by a constant, like Keras's Rescaling layer
// (the models scale 0..255 pixels by 1/255).
type Rescaling struct {
	scale float32
	y, dx *tensor.Tensor
}

// NewRescaling returns a layer computing x*scale.
func NewRescaling(scale float32) *Rescaling { return &Rescaling{scale: scale} }

// Forward returns x*scale.
func (l *Rescaling) Forward(x *tensor.Tensor, train bool) *tensor.Tensor {
	l.y = tensor.Ensure(l.y, x.Shape...)
	copy(l.y.Data, x.Data)
	kernels.Scale(l.scale, l.y.Data)
	return l.y
}

// Backward returns dy*scale.
func (l *Rescaling) Backward(dy *tensor.Tensor) *tensor.Tensor {
	l.dx = tensor.Ensure(l.dx, dy.Shape...)
	copy(l.dx.Data, dy.Data)
	kernels.Scale(l.scale, l.dx.Data)
	return l.dx
}

// Params returns nil: the layer has no parameters.
func (l *Rescaling) Params() []*Param { return nil }

// OutShape returns in.
func (l *Rescaling) OutShape(in []int) ([]int, error) { return in, nil }

// Spec describes the layer.
func (l *Rescaling) Spec() Spec { return Spec{Type: "rescaling", Scale: float64(l.scale)} }
