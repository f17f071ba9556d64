package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/lookalike/lookalike/tensor"
)

// SqueezeExcite scales each channel of NHWC input by a gate computed from
// the channel means: s = hardsigmoid(fc2(relu(fc1(mean)))), y = x * s, as
// MobileNetV3's squeeze-and-excitation (fc1 and fc2 are PyTorch's 1x1
// convolutions, here Dense layers over the means).
type SqueezeExcite struct {
	C, S     int
	Fc1, Fc2 *Dense

	in             []int
	x              *tensor.Tensor
	mean, z1, a, z *tensor.Tensor // [n, C], [n, S], [n, S], [n, C]
	y, dx          *tensor.Tensor
	ds, da         *tensor.Tensor
}

// NewSqueezeExcite returns the block for c channels squeezed to s.
func NewSqueezeExcite(c, s int) *SqueezeExcite {
	l := &SqueezeExcite{C: c, S: s, Fc1: NewDense(c, s), Fc2: NewDense(s, c)}
	for _, p := range l.Fc1.Params() {
		p.Name = "fc1." + p.Name
	}
	for _, p := range l.Fc2.Params() {
		p.Name = "fc2." + p.Name
	}
	return l
}

// Init initialises both layers.
func (l *SqueezeExcite) Init(rng *rand.Rand) {
	l.Fc1.Init(rng)
	l.Fc2.Init(rng)
}

// OutShape returns in, [n h w C].
func (l *SqueezeExcite) OutShape(in []int) ([]int, error) {
	if len(in) != 4 || in[3] != l.C {
		return nil, fmt.Errorf("squeeze_excite: input shape %v, want [n h w %d]", in, l.C)
	}
	return in, nil
}

// Forward gates the channels.
func (l *SqueezeExcite) Forward(x *tensor.Tensor, train bool) *tensor.Tensor {
	if _, err := l.OutShape(x.Shape); err != nil {
		panic(err.Error())
	}
	l.in = append(l.in[:0], x.Shape...)
	l.x = x
	n, hw, c := x.Shape[0], x.Shape[1]*x.Shape[2], l.C
	l.mean = tensor.Ensure(l.mean, n, c)
	clear(l.mean.Data)
	for b := range n {
		m := l.mean.Data[b*c : (b+1)*c]
		for p := range hw {
			for i, v := range x.Data[(b*hw+p)*c:][:c] {
				m[i] += v
			}
		}
		for i := range m {
			m[i] /= float32(hw)
		}
	}
	l.z1 = l.Fc1.Forward(l.mean, train)
	l.a = tensor.Ensure(l.a, l.z1.Shape...)
	for i, v := range l.z1.Data {
		l.a.Data[i] = max(v, 0)
	}
	l.z = l.Fc2.Forward(l.a, train)
	l.y = tensor.Ensure(l.y, x.Shape...)
	for b := range n {
		z := l.z.Data[b*c : (b+1)*c]
		for p := range hw {
			off := (b*hw + p) * c
			for i, v := range x.Data[off:][:c] {
				l.y.Data[off+i] = v * hardSigmoid(z[i])
			}
		}
	}
	return l.y
}

// Backward returns the input gradient: through the gate's product and,
// via the channel means, through the gate itself.
func (l *SqueezeExcite) Backward(dy *tensor.Tensor) *tensor.Tensor {
	n, hw, c := l.in[0], l.in[1]*l.in[2], l.C
	l.ds = tensor.Ensure(l.ds, n, c)
	clear(l.ds.Data)
	l.dx = tensor.Ensure(l.dx, l.in...)
	for b := range n {
		z, ds := l.z.Data[b*c:(b+1)*c], l.ds.Data[b*c:(b+1)*c]
		for p := range hw {
			off := (b*hw + p) * c
			for i, g := range dy.Data[off:][:c] {
				ds[i] += g * l.x.Data[off+i]
				l.dx.Data[off+i] = g * hardSigmoid(z[i])
			}
		}
		for i := range ds {
			ds[i] *= hardSigmoidGrad(z[i])
		}
	}
	da := l.Fc2.Backward(l.ds)
	l.da = tensor.Ensure(l.da, da.Shape...)
	for i, g := range da.Data {
		if l.z1.Data[i] > 0 {
			l.da.Data[i] = g
		} else {
			l.da.Data[i] = 0
		}
	}
	dm := l.Fc1.Backward(l.da)
	for b := range n {
		m := dm.Data[b*c : (b+1)*c]
		for p := range hw {
			off := (b*hw + p) * c
			for i, g := range m {
				l.dx.Data[off+i] += g / float32(hw)
			}
		}
	}
	return l.dx
}

// Params returns fc1's and fc2's parameters.
func (l *SqueezeExcite) Params() []*Param { return append(l.Fc1.Params(), l.Fc2.Params()...) }

// Spec describes the layer.
func (l *SqueezeExcite) Spec() Spec { return Spec{Type: "squeeze_excite", InC: l.C, Units: l.S} }
