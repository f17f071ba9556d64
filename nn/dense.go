package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/lookalike/lookalike/tensor"
)

// Dense is a fully connected layer y = x*W + b on [n, in] input, with the
// Keras kernel layout [in, out].
type Dense struct {
	In, Out int
	W, B    *Param

	x, y, dx *tensor.Tensor
	prec     Precision // of the products (Model.SetPrecision)
}

// NewDense returns a dense layer with zero weights; Init draws them.
func NewDense(in, out int) *Dense {
	return &Dense{In: in, Out: out, W: newParam("kernel", in, out), B: newParam("bias", out)}
}

// Init draws the kernel from Glorot-uniform and zeroes the bias.
func (l *Dense) Init(rng *rand.Rand) {
	glorotUniform(rng, l.W.Value.Data, l.In, l.Out)
	l.B.Value.Zero()
}

// OutShape returns [n, out] for an input [n, in].
func (l *Dense) OutShape(in []int) ([]int, error) {
	if len(in) != 2 || in[1] != l.In {
		return nil, fmt.Errorf("dense: input shape %v, want [n %d]", in, l.In)
	}
	return []int{in[0], l.Out}, nil
}

// Forward computes x*W + b.
func (l *Dense) Forward(x *tensor.Tensor, train bool) *tensor.Tensor {
	if len(x.Shape) != 2 || x.Shape[1] != l.In {
		panic(fmt.Sprintf("dense: input shape %v, want [n %d]", x.Shape, l.In))
	}
	n := x.Shape[0]
	l.x = x
	l.y = tensor.Ensure(l.y, n, l.Out)
	for r := 0; r < n; r++ {
		copy(l.y.Data[r*l.Out:(r+1)*l.Out], l.B.Value.Data)
	}
	l.prec.gemm()(false, false, n, l.Out, l.In, 1, x.Data, l.In, l.W.Value.Data, l.Out, 1, l.y.Data, l.Out)
	return l.y
}

// Backward accumulates dW = xᵀ*dy and db = Σdy and returns dy*Wᵀ.
func (l *Dense) Backward(dy *tensor.Tensor) *tensor.Tensor {
	n := dy.Shape[0]
	l.prec.gemm()(true, false, l.In, l.Out, n, 1, l.x.Data, l.In, dy.Data, l.Out, 1, l.W.Grad.Data, l.Out)
	db := l.B.Grad.Data
	for r := 0; r < n; r++ {
		for j, g := range dy.Data[r*l.Out : (r+1)*l.Out] {
			db[j] += g
		}
	}
	l.dx = tensor.Ensure(l.dx, n, l.In)
	l.prec.gemm()(false, true, n, l.In, l.Out, 1, dy.Data, l.Out, l.W.Value.Data, l.Out, 0, l.dx.Data, l.In)
	return l.dx
}

// Params returns the kernel and the bias.
func (l *Dense) Params() []*Param { return []*Param{l.W, l.B} }

// Spec describes the layer.
func (l *Dense) Spec() Spec { return Spec{Type: "dense", InUnits: l.In, Units: l.Out} }
