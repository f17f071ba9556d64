package nn

import (
	"fmt"

	"github.com/lookalike/lookalike/tensor"
)

// Standardize maps 0..255 pixels to (x/255 - mean[c]) / std[c] per
// channel, the normalisation of torchvision's ImageNet models (mean 0.485,
// 0.456, 0.406 and std 0.229, 0.224, 0.225).
type Standardize struct {
	Mean, Std []float64
	a, b      []float32 // y = x*a[c] + b[c]
	y, dx     *tensor.Tensor
}

// NewStandardize returns the layer for the given per-channel mean and
// standard deviation, in units of the 0..1 range.
func NewStandardize(mean, std []float64) *Standardize {
	l := &Standardize{Mean: mean, Std: std}
	for c := range mean {
		l.a = append(l.a, float32(1/(255*std[c])))
		l.b = append(l.b, float32(-mean[c]/std[c]))
	}
	return l
}

// OutShape returns in, whose last dimension must be the channel count.
func (l *Standardize) OutShape(in []int) ([]int, error) {
	if len(in) == 0 || in[len(in)-1] != len(l.a) {
		return nil, fmt.Errorf("standardize: input shape %v, want %d channels last", in, len(l.a))
	}
	return in, nil
}

// Forward returns x*a[c] + b[c].
func (l *Standardize) Forward(x *tensor.Tensor, train bool) *tensor.Tensor {
	l.y = tensor.Ensure(l.y, x.Shape...)
	c := len(l.a)
	for i, v := range x.Data {
		l.y.Data[i] = v*l.a[i%c] + l.b[i%c]
	}
	return l.y
}

// Backward returns dy*a[c].
func (l *Standardize) Backward(dy *tensor.Tensor) *tensor.Tensor {
	l.dx = tensor.Ensure(l.dx, dy.Shape...)
	c := len(l.a)
	for i, g := range dy.Data {
		l.dx.Data[i] = g * l.a[i%c]
	}
	return l.dx
}

// Params returns nil: the layer has no parameters.
func (l *Standardize) Params() []*Param { return nil }

// Spec describes the layer.
func (l *Standardize) Spec() Spec { return Spec{Type: "standardize", Mean: l.Mean, Std: l.Std} }
