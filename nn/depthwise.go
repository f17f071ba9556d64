package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/lookalike/lookalike/kernels"
	"github.com/lookalike/lookalike/tensor"
)

// DepthwiseConv2D convolves each channel of NHWC input with its own K x K
// kernel (PyTorch's Conv2d with groups equal to the channels), with a
// stride, P rows and columns of zero padding on every side and a bias. Its
// kernel is [K, K, C].
type DepthwiseConv2D struct {
	C, K, Stride, P int
	W, B            *Param

	in     []int
	x      *tensor.Tensor
	y, dx  *tensor.Tensor
	oh, ow int
}

// NewDepthwiseConv2D returns a depthwise convolution with zero weights.
func NewDepthwiseConv2D(c, k, stride, p int) *DepthwiseConv2D {
	return &DepthwiseConv2D{C: c, K: k, Stride: stride, P: p, W: newParam("kernel", k, k, c), B: newParam("bias", c)}
}

// Init draws the kernel from Glorot-uniform (fan-in and fan-out K*K) and
// zeroes the bias.
func (l *DepthwiseConv2D) Init(rng *rand.Rand) {
	glorotUniform(rng, l.W.Value.Data, l.K*l.K, l.K*l.K)
	l.B.Value.Zero()
}

// OutShape returns [n, (h+2P-K)/Stride+1, (w+2P-K)/Stride+1, C].
func (l *DepthwiseConv2D) OutShape(in []int) ([]int, error) {
	if len(in) != 4 || in[3] != l.C {
		return nil, fmt.Errorf("depthwise_conv2d: input shape %v, want [n h w %d]", in, l.C)
	}
	oh, ow := (in[1]+2*l.P-l.K)/l.Stride+1, (in[2]+2*l.P-l.K)/l.Stride+1
	if l.K <= 0 || l.Stride <= 0 || l.P < 0 || oh <= 0 || ow <= 0 {
		return nil, fmt.Errorf("depthwise_conv2d: kernel %d, stride %d, padding %d on %dx%d input", l.K, l.Stride, l.P, in[1], in[2])
	}
	return []int{in[0], oh, ow, l.C}, nil
}

// window returns the kernel rows and columns of output (oy, ox) that fall
// inside an h x w input: [ky0, ky1) x [kx0, kx1).
func (l *DepthwiseConv2D) window(h, w, oy, ox int) (ky0, ky1, kx0, kx1 int) {
	y, x := oy*l.Stride-l.P, ox*l.Stride-l.P
	return max(0, -y), min(l.K, h-y), max(0, -x), min(l.K, w-x)
}

// Forward computes the convolution, a multiply-add over the channels per
// kernel tap.
func (l *DepthwiseConv2D) Forward(x *tensor.Tensor, train bool) *tensor.Tensor {
	out, err := l.OutShape(x.Shape)
	if err != nil {
		panic(err.Error())
	}
	l.in = append(l.in[:0], x.Shape...)
	l.x = x
	n, h, w := x.Shape[0], x.Shape[1], x.Shape[2]
	l.oh, l.ow = out[1], out[2]
	l.y = tensor.Ensure(l.y, out...)
	if s := splits(n, l.oh*l.ow*l.C*l.K*l.K); s > 1 {
		parallelImages(n, s, func(b0, b1 int) { l.forward(x.Data, b0, b1, h, w) })
	} else {
		l.forward(x.Data, 0, n, h, w)
	}
	return l.y
}

// forward computes images b0..b1.
func (l *DepthwiseConv2D) forward(x []float32, b0, b1, h, w int) {
	c, kw := l.C, l.W.Value.Data
	fillRows(l.y.Data[b0*l.oh*l.ow*c:b1*l.oh*l.ow*c], l.B.Value.Data)
	for b := b0; b < b1; b++ {
		for oy := range l.oh {
			for ox := range l.ow {
				y := l.y.Data[((b*l.oh+oy)*l.ow+ox)*c:][:c]
				ky0, ky1, kx0, kx1 := l.window(h, w, oy, ox)
				for ky := ky0; ky < ky1; ky++ {
					iy := oy*l.Stride + ky - l.P
					for kx := kx0; kx < kx1; kx++ {
						ix := ox*l.Stride + kx - l.P
						kernels.MulAdd(y, x[((b*h+iy)*w+ix)*c:][:c], kw[(ky*l.K+kx)*c:][:c])
					}
				}
			}
		}
	}
}

// Backward adds the kernel and bias gradients and returns the input's.
func (l *DepthwiseConv2D) Backward(dy *tensor.Tensor) *tensor.Tensor {
	n, h, w, c := l.in[0], l.in[1], l.in[2], l.C
	l.dx = tensor.Ensure(l.dx, l.in...)
	clear(l.dx.Data)
	kw, gw := l.W.Value.Data, l.W.Grad.Data
	x := l.x.Data
	// One goroutine: the kernel gradient sums over the whole batch.
	for b := range n {
		for oy := range l.oh {
			for ox := range l.ow {
				g := dy.Data[((b*l.oh+oy)*l.ow+ox)*c:][:c]
				kernels.Add(l.B.Grad.Data, g)
				ky0, ky1, kx0, kx1 := l.window(h, w, oy, ox)
				for ky := ky0; ky < ky1; ky++ {
					iy := oy*l.Stride + ky - l.P
					for kx := kx0; kx < kx1; kx++ {
						ix := ox*l.Stride + kx - l.P
						off, tap := ((b*h+iy)*w+ix)*c, (ky*l.K+kx)*c
						kernels.MulAdd(gw[tap:][:c], g, x[off:][:c])
						kernels.MulAdd(l.dx.Data[off:][:c], g, kw[tap:][:c])
					}
				}
			}
		}
	}
	return l.dx
}

// Params returns the kernel and the bias.
func (l *DepthwiseConv2D) Params() []*Param { return []*Param{l.W, l.B} }

// Spec describes the layer.
func (l *DepthwiseConv2D) Spec() Spec {
	return Spec{Type: "depthwise_conv2d", InC: l.C, Kernel: l.K, Stride: l.Stride, Pad: l.P}
}
