package nn

import (
	"fmt"
	"math"

	"github.com/lookalike/lookalike/tensor"
)

// CenterCrop keeps the centred Side x Side pixels of NHWC input (an odd
// margin is split as torchvision's CenterCrop rounds it: half to even): with a model input of 256, the resize
// to 256 and centre crop to 224 of torchvision's ImageNet evaluation.
type CenterCrop struct {
	Side  int
	in    []int
	y, dx *tensor.Tensor
}

// NewCenterCrop returns a crop to side x side.
func NewCenterCrop(side int) *CenterCrop { return &CenterCrop{Side: side} }

// OutShape returns [n, Side, Side, c].
func (l *CenterCrop) OutShape(in []int) ([]int, error) {
	if len(in) != 4 || in[1] < l.Side || in[2] < l.Side || l.Side <= 0 {
		return nil, fmt.Errorf("center_crop: input shape %v, want [n h w c] of at least %dx%d", in, l.Side, l.Side)
	}
	return []int{in[0], l.Side, l.Side, in[3]}, nil
}

// offsets returns the top and left margins, rounded as torchvision does
// (Python's round: half to even).
func (l *CenterCrop) offsets(h, w int) (int, int) {
	return int(math.RoundToEven(float64(h-l.Side) / 2)), int(math.RoundToEven(float64(w-l.Side) / 2))
}

// Forward copies the centre.
func (l *CenterCrop) Forward(x *tensor.Tensor, train bool) *tensor.Tensor {
	out, err := l.OutShape(x.Shape)
	if err != nil {
		panic(err.Error())
	}
	l.in = append(l.in[:0], x.Shape...)
	n, h, w, c := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	l.y = tensor.Ensure(l.y, out...)
	top, left := l.offsets(h, w)
	row := l.Side * c
	for b := range n {
		for y := range l.Side {
			src := ((b*h+top+y)*w + left) * c
			copy(l.y.Data[(b*l.Side+y)*row:][:row], x.Data[src:src+row])
		}
	}
	return l.y
}

// Backward puts dy back in the centre of a zero gradient.
func (l *CenterCrop) Backward(dy *tensor.Tensor) *tensor.Tensor {
	n, h, w, c := l.in[0], l.in[1], l.in[2], l.in[3]
	l.dx = tensor.Ensure(l.dx, l.in...)
	clear(l.dx.Data)
	top, left := l.offsets(h, w)
	row := l.Side * c
	for b := range n {
		for y := range l.Side {
			dst := ((b*h+top+y)*w + left) * c
			copy(l.dx.Data[dst:dst+row], dy.Data[(b*l.Side+y)*row:][:row])
		}
	}
	return l.dx
}

// Params returns nil: the layer has no parameters.
func (l *CenterCrop) Params() []*Param { return nil }

// Spec describes the layer.
func (l *CenterCrop) Spec() Spec { return Spec{Type: "center_crop", Units: l.Side} }
