package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/lookalike/lookalike/kernels"
	"github.com/lookalike/lookalike/tensor"
)

// Residual is a residual block: relu(inner(x) + shortcut(x)), where inner
// and shortcut are sequences of layers and an empty shortcut is the
// identity. It owns its layers; their parameters and state are named
// "inner.<j>.<name>" and "shortcut.<j>.<name>" by position.
type Residual struct {
	Inner, Shortcut []Layer
	// Linear leaves out the ReLU after the sum (MobileNet's inverted
	// residuals): the block is inner(x) + shortcut(x).
	Linear bool

	params, state []*Param

	// Set by Forward for Backward.
	in        []int
	y, dz, dx *tensor.Tensor
}

// NewResidual returns a residual block over the given branches (shortcut
// nil for the identity). It renames the layers' parameters and state with
// their branch and position, so a layer must not be given to two blocks.
func NewResidual(inner, shortcut []Layer) *Residual {
	r := &Residual{Inner: inner, Shortcut: shortcut}
	for _, branch := range []struct {
		name   string
		layers []Layer
	}{{"inner", inner}, {"shortcut", shortcut}} {
		for j, l := range branch.layers {
			for _, p := range l.Params() {
				p.Name = fmt.Sprintf("%s.%d.%s", branch.name, j, p.Name)
				r.params = append(r.params, p)
			}
			if s, ok := l.(Stateful); ok {
				for _, p := range s.State() {
					p.Name = fmt.Sprintf("%s.%d.%s", branch.name, j, p.Name)
					r.state = append(r.state, p)
				}
			}
		}
	}
	return r
}

// NewResidualBlock returns the basic block of ResNet-18/34 with 3x3 "same"
// convolutions: inner conv(in→out, stride)-BN-ReLU-conv(out→out)-BN, and a
// shortcut that is the identity when the shape is kept and otherwise a 1x1
// convolution with the stride followed by BN.
func NewResidualBlock(inC, outC, stride int) *Residual {
	inner := []Layer{
		NewConv2D(inC, outC, 3, stride, Same), NewBatchNorm(outC), NewReLU(),
		NewConv2D(outC, outC, 3, 1, Same), NewBatchNorm(outC),
	}
	var shortcut []Layer
	if inC != outC || stride != 1 {
		shortcut = []Layer{NewConv2D(inC, outC, 1, stride, Valid), NewBatchNorm(outC)}
	}
	return NewResidual(inner, shortcut)
}

// Init initialises every layer of both branches.
func (r *Residual) Init(rng *rand.Rand) {
	for _, ls := range [][]Layer{r.Inner, r.Shortcut} {
		for _, l := range ls {
			if in, ok := l.(Initializer); ok {
				in.Init(rng)
			}
		}
	}
}

// branchShape returns the output shape of a sequence of layers.
func branchShape(layers []Layer, in []int) ([]int, error) {
	shape := in
	for j, l := range layers {
		out, err := l.OutShape(shape)
		if err != nil {
			return nil, fmt.Errorf("layer %d: %w", j, err)
		}
		shape = out
	}
	return shape, nil
}

// OutShape returns the common output shape of the two branches.
func (r *Residual) OutShape(in []int) ([]int, error) {
	a, err := branchShape(r.Inner, in)
	if err != nil {
		return nil, fmt.Errorf("residual inner %w", err)
	}
	s, err := branchShape(r.Shortcut, in)
	if err != nil {
		return nil, fmt.Errorf("residual shortcut %w", err)
	}
	if !tensor.ShapeEqual(a, s) {
		return nil, fmt.Errorf("residual: inner output %v and shortcut output %v differ", a, s)
	}
	return a, nil
}

// Forward returns relu(inner(x) + shortcut(x)).
func (r *Residual) Forward(x *tensor.Tensor, train bool) *tensor.Tensor {
	r.in = append(r.in[:0], x.Shape...)
	a := x
	for _, l := range r.Inner {
		a = l.Forward(a, train)
	}
	s := x
	for _, l := range r.Shortcut {
		s = l.Forward(s, train)
	}
	if !a.SameShape(s) {
		panic(fmt.Sprintf("residual: inner output %v and shortcut output %v differ", a.Shape, s.Shape))
	}
	r.y = tensor.Ensure(r.y, a.Shape...)
	copy(r.y.Data, a.Data)
	kernels.Add(r.y.Data, s.Data)
	if !r.Linear {
		kernels.ReLU(r.y.Data, r.y.Data)
	}
	return r.y
}

// Backward propagates dy through the ReLU and both branches and returns the
// sum of their input gradients.
func (r *Residual) Backward(dy *tensor.Tensor) *tensor.Tensor {
	r.dz = tensor.Ensure(r.dz, dy.Shape...)
	if r.Linear {
		copy(r.dz.Data, dy.Data)
	} else {
		kernels.ReLUBackward(r.dz.Data, dy.Data, r.y.Data)
	}
	g := r.dz
	for j := len(r.Inner) - 1; j >= 0; j-- {
		g = r.Inner[j].Backward(g)
	}
	r.dx = tensor.Ensure(r.dx, r.in...)
	copy(r.dx.Data, g.Data)
	g = r.dz
	for j := len(r.Shortcut) - 1; j >= 0; j-- {
		g = r.Shortcut[j].Backward(g)
	}
	kernels.Add(r.dx.Data, g.Data)
	return r.dx
}

// Params returns the parameters of the inner branch, then the shortcut's.
func (r *Residual) Params() []*Param { return r.params[:len(r.params):len(r.params)] }

// State returns the state tensors of the inner branch, then the
// shortcut's.
func (r *Residual) State() []*Param { return r.state[:len(r.state):len(r.state)] }

// Spec describes the block with the specs of its branches.
func (r *Residual) Spec() Spec {
	s := Spec{Type: "residual", Linear: r.Linear}
	for _, l := range r.Inner {
		s.Layers = append(s.Layers, l.Spec())
	}
	for _, l := range r.Shortcut {
		s.Shortcut = append(s.Shortcut, l.Spec())
	}
	return s
}
