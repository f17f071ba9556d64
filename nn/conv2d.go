package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/lookalike/lookalike/kernels"
	"github.com/lookalike/lookalike/tensor"
)

// Padding is a convolution's padding mode, as in Keras.
type Padding int

const (
	// Valid uses no padding: the output shrinks by the kernel size.
	Valid Padding = iota
	// Same pads with zeros so that the output is ceil(input/stride); the
	// extra row or column, when the padding is odd, goes to the bottom and
	// right, as TensorFlow does.
	Same
)

// String returns "valid" or "same".
func (p Padding) String() string {
	if p == Same {
		return "same"
	}
	return "valid"
}

// ParsePadding parses "valid" or "same".
func ParsePadding(s string) (Padding, error) {
	switch s {
	case "valid", "":
		return Valid, nil
	case "same":
		return Same, nil
	}
	return 0, fmt.Errorf("unknown padding %q (want valid or same)", s)
}

// Conv2D is a 2-D convolution over NHWC input with a square kernel, a bias
// and a stride. Its kernel has the Keras layout [k, k, in, out], which as a
// (k*k*in) x out matrix multiplies the im2col matrix of the input.
type Conv2D struct {
	InC, OutC, K, Stride int
	Pad                  Padding
	W, B                 *Param

	// Set by Forward for Backward.
	in                 []int
	oh, ow, padT, padL int
	col, y, dcol, dx   *tensor.Tensor
	skipInputGrad      bool
}

// NewConv2D returns a convolution with zero weights; Init draws them.
func NewConv2D(inC, outC, k, stride int, pad Padding) *Conv2D {
	return &Conv2D{
		InC: inC, OutC: outC, K: k, Stride: stride, Pad: pad,
		W: newParam("kernel", k, k, inC, outC),
		B: newParam("bias", outC),
	}
}

// Init draws the kernel from Glorot-uniform and zeroes the bias.
func (l *Conv2D) Init(rng *rand.Rand) {
	glorotUniform(rng, l.W.Value.Data, l.K*l.K*l.InC, l.K*l.K*l.OutC)
	l.B.Value.Zero()
}

// SkipInputGrad makes Backward skip the input gradient (and return nil): the
// first layer of a model does not need it.
func (l *Conv2D) SkipInputGrad(skip bool) { l.skipInputGrad = skip }

// geometry returns the output size and top/left padding for an input size.
func (l *Conv2D) geometry(h, w int) (oh, ow, padT, padL int) {
	if l.Pad == Same {
		oh = (h + l.Stride - 1) / l.Stride
		ow = (w + l.Stride - 1) / l.Stride
		padT = max((oh-1)*l.Stride+l.K-h, 0) / 2
		padL = max((ow-1)*l.Stride+l.K-w, 0) / 2
		return
	}
	return (h-l.K)/l.Stride + 1, (w-l.K)/l.Stride + 1, 0, 0
}

// OutShape returns [n, oh, ow, out] for an input [n, h, w, in].
func (l *Conv2D) OutShape(in []int) ([]int, error) {
	if err := l.check(in); err != nil {
		return nil, err
	}
	oh, ow, _, _ := l.geometry(in[1], in[2])
	return []int{in[0], oh, ow, l.OutC}, nil
}

// check reports whether an input shape fits, without allocating.
func (l *Conv2D) check(in []int) error {
	if len(in) != 4 || in[3] != l.InC {
		return fmt.Errorf("conv2d: input shape %v, want [n h w %d]", in, l.InC)
	}
	oh, ow, _, _ := l.geometry(in[1], in[2])
	if oh <= 0 || ow <= 0 {
		return fmt.Errorf("conv2d: input %dx%d is smaller than the %dx%d kernel", in[1], in[2], l.K, l.K)
	}
	return nil
}

// Forward computes the convolution through im2col and one SGEMM.
func (l *Conv2D) Forward(x *tensor.Tensor, train bool) *tensor.Tensor {
	if err := l.check(x.Shape); err != nil {
		panic(err)
	}
	n, h, w := x.Shape[0], x.Shape[1], x.Shape[2]
	l.in = append(l.in[:0], x.Shape...)
	l.oh, l.ow, l.padT, l.padL = l.geometry(h, w)
	rows, kk := n*l.oh*l.ow, l.K*l.K*l.InC
	l.col = tensor.Ensure(l.col, rows, kk)
	im2col(x.Data, l.col.Data, n, h, w, l.InC, l.K, l.Stride, l.oh, l.ow, l.padT, l.padL)
	l.y = tensor.Ensure(l.y, n, l.oh, l.ow, l.OutC)
	y := l.y.Data
	for r := 0; r < rows; r++ {
		copy(y[r*l.OutC:(r+1)*l.OutC], l.B.Value.Data)
	}
	kernels.Sgemm(false, false, rows, l.OutC, kk, 1, l.col.Data, kk, l.W.Value.Data, l.OutC, 1, y, l.OutC)
	return l.y
}

// Backward accumulates the kernel and bias gradients and returns the input
// gradient through col2im.
func (l *Conv2D) Backward(dy *tensor.Tensor) *tensor.Tensor {
	rows, kk := dy.Len()/l.OutC, l.K*l.K*l.InC
	kernels.Sgemm(true, false, kk, l.OutC, rows, 1, l.col.Data, kk, dy.Data, l.OutC, 1, l.W.Grad.Data, l.OutC)
	db := l.B.Grad.Data
	for r := 0; r < rows; r++ {
		for j, g := range dy.Data[r*l.OutC : (r+1)*l.OutC] {
			db[j] += g
		}
	}
	if l.skipInputGrad {
		return nil
	}
	l.dcol = tensor.Ensure(l.dcol, rows, kk)
	kernels.Sgemm(false, true, rows, kk, l.OutC, 1, dy.Data, l.OutC, l.W.Value.Data, l.OutC, 0, l.dcol.Data, kk)
	l.dx = tensor.Ensure(l.dx, l.in...)
	col2im(l.dcol.Data, l.dx.Data, l.in[0], l.in[1], l.in[2], l.InC, l.K, l.Stride, l.oh, l.ow, l.padT, l.padL)
	return l.dx
}

// Params returns the kernel and the bias.
func (l *Conv2D) Params() []*Param { return []*Param{l.W, l.B} }

// Spec describes the layer.
func (l *Conv2D) Spec() Spec {
	return Spec{Type: "conv2d", InC: l.InC, Filters: l.OutC, Kernel: l.K, Stride: l.Stride, Padding: l.Pad.String()}
}
