package nn

import (
	"fmt"
	"math/rand/v2"

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

// taps calls fn for each kernel tap of output (oy, ox) inside the input:
// the tap's index in the kernel and its input pixel.
func (l *DepthwiseConv2D) taps(h, w, oy, ox int, fn func(tap, iy, ix int)) {
	for ky := range l.K {
		iy := oy*l.Stride + ky - l.P
		if iy < 0 || iy >= h {
			continue
		}
		for kx := range l.K {
			ix := ox*l.Stride + kx - l.P
			if ix >= 0 && ix < w {
				fn(ky*l.K+kx, iy, ix)
			}
		}
	}
}

// Forward computes the convolution.
func (l *DepthwiseConv2D) Forward(x *tensor.Tensor, train bool) *tensor.Tensor {
	out, err := l.OutShape(x.Shape)
	if err != nil {
		panic(err.Error())
	}
	l.in = append(l.in[:0], x.Shape...)
	l.x = x
	n, h, w, c := x.Shape[0], x.Shape[1], x.Shape[2], l.C
	l.oh, l.ow = out[1], out[2]
	l.y = tensor.Ensure(l.y, out...)
	kw, bias := l.W.Value.Data, l.B.Value.Data
	run := func(b0, b1 int) {
		for b := b0; b < b1; b++ {
			for oy := range l.oh {
				for ox := range l.ow {
					y := l.y.Data[((b*l.oh+oy)*l.ow+ox)*c:][:c]
					copy(y, bias)
					l.taps(h, w, oy, ox, func(tap, iy, ix int) {
						xs := x.Data[((b*h+iy)*w+ix)*c:][:c]
						ws := kw[tap*c:][:c]
						for i, v := range xs {
							y[i] += v * ws[i]
						}
					})
				}
			}
		}
	}
	if s := splits(n, l.oh*l.ow*c*l.K*l.K); s > 1 {
		parallelImages(n, s, run)
	} else {
		run(0, n)
	}
	return l.y
}

// Backward adds the kernel and bias gradients and returns the input's.
func (l *DepthwiseConv2D) Backward(dy *tensor.Tensor) *tensor.Tensor {
	n, h, w, c := l.in[0], l.in[1], l.in[2], l.C
	l.dx = tensor.Ensure(l.dx, l.in...)
	clear(l.dx.Data)
	kw, gw, gb := l.W.Value.Data, l.W.Grad.Data, l.B.Grad.Data
	x := l.x.Data
	// One goroutine: the kernel gradient sums over the whole batch.
	for b := range n {
		for oy := range l.oh {
			for ox := range l.ow {
				g := dy.Data[((b*l.oh+oy)*l.ow+ox)*c:][:c]
				for i, v := range g {
					gb[i] += v
				}
				l.taps(h, w, oy, ox, func(tap, iy, ix int) {
					off := ((b*h+iy)*w + ix) * c
					xs, dxs := x[off:][:c], l.dx.Data[off:][:c]
					ws, gws := kw[tap*c:][:c], gw[tap*c:][:c]
					for i, v := range g {
						gws[i] += v * xs[i]
						dxs[i] += v * ws[i]
					}
				})
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
