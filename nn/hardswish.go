package nn

import "github.com/lookalike/lookalike/tensor"

// Hardswish is x * relu6(x+3) / 6, MobileNetV3's activation (PyTorch's
// Hardswish).
type Hardswish struct {
	x, y, dx *tensor.Tensor
}

// NewHardswish returns the activation.
func NewHardswish() *Hardswish { return &Hardswish{} }

// hardSigmoid is relu6(x+3) / 6 (NaN gives 1: the comparisons are
// branches the compiler keeps cheap, where min and max must order NaN and
// signed zeros).
func hardSigmoid(x float32) float32 {
	t := x + 3
	if t < 0 {
		t = 0
	} else if !(t <= 6) {
		t = 6
	}
	return t * (1.0 / 6)
}

// hardSigmoidGrad is its derivative: 1/6 inside (-3, 3), 0 outside.
func hardSigmoidGrad(x float32) float32 {
	if x > -3 && x < 3 {
		return 1.0 / 6
	}
	return 0
}

// Forward applies the activation.
func (l *Hardswish) Forward(x *tensor.Tensor, train bool) *tensor.Tensor {
	l.x = x
	l.y = tensor.Ensure(l.y, x.Shape...)
	for i, v := range x.Data {
		l.y.Data[i] = v * hardSigmoid(v)
	}
	return l.y
}

// Backward returns dy * (hardsigmoid(x) + x hardsigmoid'(x)).
func (l *Hardswish) Backward(dy *tensor.Tensor) *tensor.Tensor {
	l.dx = tensor.Ensure(l.dx, dy.Shape...)
	for i, g := range dy.Data {
		v := l.x.Data[i]
		l.dx.Data[i] = g * (hardSigmoid(v) + v*hardSigmoidGrad(v))
	}
	return l.dx
}

// Params returns nil: the layer has no parameters.
func (l *Hardswish) Params() []*Param { return nil }

// OutShape returns in.
func (l *Hardswish) OutShape(in []int) ([]int, error) { return in, nil }

// Spec describes the layer.
func (l *Hardswish) Spec() Spec { return Spec{Type: "hardswish"} }
