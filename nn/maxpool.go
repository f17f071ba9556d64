package nn

import (
	"fmt"

	"github.com/lookalike/lookalike/kernels"
	"github.com/lookalike/lookalike/tensor"
)

// MaxPool2D takes the maximum of each K x K window of NHWC input, windows
// Stride apart, without padding: an input of h rows gives (h-K)/Stride+1
// (PyTorch's MaxPool2d(K, Stride) with floor rounding). The gradient goes to
// the first maximum of each window.
type MaxPool2D struct {
	K, Stride int

	in     []int
	arg    []int32 // per output value, the input offset of its maximum
	y, dx  *tensor.Tensor
	oh, ow int
}

// NewMaxPool2D returns max pooling over k x k windows with the given stride.
func NewMaxPool2D(k, stride int) *MaxPool2D { return &MaxPool2D{K: k, Stride: stride} }

// OutShape returns [n, (h-K)/Stride+1, (w-K)/Stride+1, c].
func (l *MaxPool2D) OutShape(in []int) ([]int, error) {
	if l.K <= 0 || l.Stride <= 0 {
		return nil, fmt.Errorf("max_pool: kernel %d and stride %d must be positive", l.K, l.Stride)
	}
	if len(in) != 4 {
		return nil, fmt.Errorf("max_pool: input shape %v, want [n h w c]", in)
	}
	if in[1] < l.K || in[2] < l.K {
		return nil, fmt.Errorf("max_pool: input %dx%d is smaller than the %dx%d window", in[1], in[2], l.K, l.K)
	}
	return []int{in[0], (in[1]-l.K)/l.Stride + 1, (in[2]-l.K)/l.Stride + 1, in[3]}, nil
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

// pool computes the output of image b.
func (l *MaxPool2D) pool(x []float32, b, h, w, c int) {
	K, S := l.K, l.Stride
	for oy := 0; oy < l.oh; oy++ {
		for ox := 0; ox < l.ow; ox++ {
			o := ((b*l.oh+oy)*l.ow + ox) * c
			y, arg := l.y.Data[o:o+c], l.arg[o:o+c]
			first := ((b*h+oy*S)*w + ox*S) * c
			copy(y, x[first:first+c])
			for j := range arg {
				arg[j] = int32(first + j)
			}
			for ky := 0; ky < K; ky++ {
				for kx := 0; kx < K; kx++ {
					if ky == 0 && kx == 0 {
						continue
					}
					p := ((b*h+oy*S+ky)*w + ox*S + kx) * c
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
func (l *MaxPool2D) Spec() Spec { return Spec{Type: "max_pool", Kernel: l.K, Stride: l.Stride} }
