package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/lookalike/lookalike/tensor"
)

// GroupedConv2D is a convolution whose channels are split into Groups
// independent groups (PyTorch's Conv2d with groups): group g's InC/Groups
// input channels make its OutC/Groups output channels, through its own
// Conv2D (explicit padding P). ResNeXt's 3x3 convolutions are grouped;
// a depthwise convolution is the extreme case (see DepthwiseConv2D, which
// is faster for it).
type GroupedConv2D struct {
	InC, OutC, K, Stride, P, Groups int
	Convs                           []*Conv2D

	in        []int
	xs, dys   []*tensor.Tensor // each group's input and output gradient
	y, dx     *tensor.Tensor
	params    []*Param
	oh, ow    int
	inG, outG int
}

// NewGroupedConv2D returns a grouped convolution with zero weights.
func NewGroupedConv2D(inC, outC, k, stride, p, groups int) *GroupedConv2D {
	l := &GroupedConv2D{InC: inC, OutC: outC, K: k, Stride: stride, P: p, Groups: groups}
	if groups <= 0 || inC%groups != 0 || outC%groups != 0 {
		return l // OutShape reports it
	}
	l.inG, l.outG = inC/groups, outC/groups
	for g := range groups {
		c := NewConv2DPadded(l.inG, l.outG, k, stride, p)
		for _, p := range c.Params() {
			p.Name = fmt.Sprintf("group.%d.%s", g, p.Name)
			l.params = append(l.params, p)
		}
		l.Convs = append(l.Convs, c)
		l.xs = append(l.xs, nil)
		l.dys = append(l.dys, nil)
	}
	return l
}

// Init initialises every group's convolution.
func (l *GroupedConv2D) Init(rng *rand.Rand) {
	for _, c := range l.Convs {
		c.Init(rng)
	}
}

// OutShape returns [n, oh, ow, OutC].
func (l *GroupedConv2D) OutShape(in []int) ([]int, error) {
	if len(l.Convs) == 0 {
		return nil, fmt.Errorf("grouped_conv2d: %d groups do not divide %d input and %d output channels", l.Groups, l.InC, l.OutC)
	}
	if len(in) != 4 || in[3] != l.InC {
		return nil, fmt.Errorf("grouped_conv2d: input shape %v, want [n h w %d]", in, l.InC)
	}
	out, err := l.Convs[0].OutShape([]int{in[0], in[1], in[2], l.inG})
	if err != nil {
		return nil, err
	}
	return []int{out[0], out[1], out[2], l.OutC}, nil
}

// gather copies channels [c0, c0+n) of every pixel of src (c channels) to
// dst (n channels), or back when scatter is set.
func gather(dst, src []float32, c, c0, n int, scatter bool) {
	pixels := len(src) / c
	for p := range pixels {
		if scatter {
			copy(src[p*c+c0:p*c+c0+n], dst[p*n:(p+1)*n])
		} else {
			copy(dst[p*n:(p+1)*n], src[p*c+c0:p*c+c0+n])
		}
	}
}

// Forward runs each group's convolution on its channels.
func (l *GroupedConv2D) Forward(x *tensor.Tensor, train bool) *tensor.Tensor {
	out, err := l.OutShape(x.Shape)
	if err != nil {
		panic(err.Error())
	}
	l.in = append(l.in[:0], x.Shape...)
	n, h, w := x.Shape[0], x.Shape[1], x.Shape[2]
	l.oh, l.ow = out[1], out[2]
	l.y = tensor.Ensure(l.y, out...)
	for g, c := range l.Convs {
		l.xs[g] = tensor.Ensure(l.xs[g], n, h, w, l.inG)
		gather(l.xs[g].Data, x.Data, l.InC, g*l.inG, l.inG, false)
		y := c.Forward(l.xs[g], train)
		gather(y.Data, l.y.Data, l.OutC, g*l.outG, l.outG, true)
	}
	return l.y
}

// Backward returns the input gradient, each group's in its channels.
func (l *GroupedConv2D) Backward(dy *tensor.Tensor) *tensor.Tensor {
	n := l.in[0]
	l.dx = tensor.Ensure(l.dx, l.in...)
	for g, c := range l.Convs {
		l.dys[g] = tensor.Ensure(l.dys[g], n, l.oh, l.ow, l.outG)
		gather(l.dys[g].Data, dy.Data, l.OutC, g*l.outG, l.outG, false)
		dx := c.Backward(l.dys[g])
		gather(dx.Data, l.dx.Data, l.InC, g*l.inG, l.inG, true)
	}
	return l.dx
}

// Params returns every group's kernel and bias, group by group.
func (l *GroupedConv2D) Params() []*Param { return l.params[:len(l.params):len(l.params)] }

// Spec describes the layer.
func (l *GroupedConv2D) Spec() Spec {
	return Spec{Type: "grouped_conv2d", InC: l.InC, Filters: l.OutC, Kernel: l.K, Stride: l.Stride, Pad: l.P, Groups: l.Groups}
}

// setPrecision sets the precision of every group's products.
func (l *GroupedConv2D) setPrecision(p Precision) {
	for _, c := range l.Convs {
		c.setPrecision(p)
	}
}
