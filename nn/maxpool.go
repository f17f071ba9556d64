package nn

import (
	"fmt"

	"github.com/lookalike/lookalike/kernels"
	"github.com/lookalike/lookalike/tensor"
)

// MaxPool2D takes the maximum of each K x K window of NHWC input, windows
// Stride apart, with P rows and columns of padding on every side that
// never win (minus infinity): an input of h rows gives (h+2P-K)/Stride+1
// (PyTorch's MaxPool2d(K, Stride, P) with floor rounding). The gradient
// goes to the first maximum of each window.
type MaxPool2D struct {
	K, Stride, P int

	in     []int
	arg    []int32 // per output value, the input offset of its maximum
	y, dx  *tensor.Tensor
	oh, ow int
}

// NewMaxPool2D returns max pooling over k x k windows with the given stride.
func NewMaxPool2D(k, stride int) *MaxPool2D { return &MaxPool2D{K: k, Stride: stride} }

// NewMaxPool2DPadded returns max pooling with p rows and columns of padding
// on every side (at most k/2, as PyTorch allows).
func NewMaxPool2DPadded(k, stride, p int) *MaxPool2D {
	return &MaxPool2D{K: k, Stride: stride, P: p}
}

// OutShape returns [n, (h+2P-K)/Stride+1, (w+2P-K)/Stride+1, c].
func (l *MaxPool2D) OutShape(in []int) ([]int, error) {
	if l.K <= 0 || l.Stride <= 0 || l.P < 0 || l.P > l.K/2 {
		return nil, fmt.Errorf("max_pool: kernel %d, stride %d, padding %d: want positive, positive, at most half the kernel", l.K, l.Stride, l.P)
	}
	if len(in) != 4 {
		return nil, fmt.Errorf("max_pool: input shape %v, want [n h w c]", in)
	}
	if in[1]+2*l.P < l.K || in[2]+2*l.P < l.K {
		return nil, fmt.Errorf("max_pool: input %dx%d is smaller than the %dx%d window", in[1], in[2], l.K, l.K)
	}
	return []int{in[0], (in[1]+2*l.P-l.K)/l.Stride + 1, (in[2]+2*l.P-l.K)/l.Stride + 1, in[3]}, nil
}

// Forward takes the window maxima and, in training, remembers where they
// are.
func (l *MaxPool2D) Forward(x *tensor.Tensor, train bool) *tensor.Tensor {
	out, err := l.OutShape(x.Shape)
	if err != nil {
		panic(err.Error())
	}
	n, h, w, c := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	l.in = append(l.in[:0], x.Shape...)
	l.oh, l.ow = out[1], out[2]
	l.y = tensor.Ensure(l.y, out...)
	if cap(l.arg) < l.y.Len() {
		l.arg = make([]int32, l.y.Len())
	}
	l.arg = l.arg[:l.y.Len()]
	per := h * w * c
	run := func(b0, b1 int) {
		for b := b0; b < b1; b++ {
			l.pool(x.Data, b, h, w, c)
		}
	}
	if s := splits(n, per); s > 1 {
		parallelImages(n, s, run)
	} else {
		run(0, n)
	}
	return l.y
}

// pool computes the output of image b. Each window's taps inside the
// image are compared; the first of them starts the maximum.
func (l *MaxPool2D) pool(x []float32, b, h, w, c int) {
	K, S, P := l.K, l.Stride, l.P
	for oy := 0; oy < l.oh; oy++ {
		y0, y1 := max(oy*S-P, 0), min(oy*S-P+K, h)
		for ox := 0; ox < l.ow; ox++ {
			x0, x1 := max(ox*S-P, 0), min(ox*S-P+K, w)
			o := ((b*l.oh+oy)*l.ow + ox) * c
			y, arg := l.y.Data[o:o+c], l.arg[o:o+c]
			first := ((b*h+y0)*w + x0) * c
			copy(y, x[first:first+c])
			for j := range arg {
				arg[j] = int32(first + j)
			}
			for iy := y0; iy < y1; iy++ {
				for ix := x0; ix < x1; ix++ {
					if iy == y0 && ix == x0 {
						continue
					}
					p := ((b*h+iy)*w + ix) * c
					kernels.MaxArg(y, arg, x[p:p+c], int32(p))
				}
			}
		}
	}
}

// Backward routes each output gradient to its window's maximum.
func (l *MaxPool2D) Backward(dy *tensor.Tensor) *tensor.Tensor {
	l.dx = tensor.Ensure(l.dx, l.in...)
	clear(l.dx.Data)
	for i, g := range dy.Data {
		l.dx.Data[l.arg[i]] += g
	}
	return l.dx
}

// Params returns nil: the layer has no parameters.
func (l *MaxPool2D) Params() []*Param { return nil }

// Spec describes the layer.
func (l *MaxPool2D) Spec() Spec {
	return Spec{Type: "max_pool", Kernel: l.K, Stride: l.Stride, Pad: l.P}
}
