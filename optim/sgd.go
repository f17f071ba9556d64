package optim

import (
	"errors"
	"fmt"
	"math"

	"github.com/lookalike/lookalike/kernels"
	"github.com/lookalike/lookalike/nn"
	"github.com/lookalike/lookalike/tensor"
)

// SGD is stochastic gradient descent with momentum, optional Nesterov
// momentum and decoupled weight decay, over parameter groups.
//
// For a parameter p with gradient g in a group with learning rate lr and
// weight decay wd, one Update(scale) computes, with η = lr*scale:
//
//	buf = momentum*buf + g
//	g'  = g + momentum*buf   (Nesterov)
//	g'  = buf                (otherwise)
//	p   = p*(1 - η*wd) - η*g'
//
// The momentum buffer starts at zero, so the first step sets buf = g, as
// PyTorch's SGD does (without dampening). With momentum 0 there is no
// buffer and g' = g.
//
// The weight decay is decoupled, in the AdamW form: it shrinks p by the
// factor 1 - η*wd, computed from the value before the step, and does not go
// through the momentum buffer. This differs from PyTorch's SGD
// weight_decay, which adds wd*p to the gradient before the momentum; with
// momentum 0 the two agree. The decay follows the scaled learning rate, so
// a schedule scales it too; η*wd must stay below 1.
type SGD struct {
	groups   []Group
	momentum float64
	nesterov bool
	buf      [][]*tensor.Tensor // per group, per parameter; nil without momentum
	step     int
}

var _ Optimizer = (*SGD)(nil)

// NewSGD returns SGD over groups. momentum must be in [0, 1), and Nesterov
// momentum needs momentum > 0. Every group's LR and WeightDecay must be
// finite and non-negative; every parameter must have a gradient of its
// shape and appear only once over all groups; there must be at least one
// parameter. Empty groups are allowed. The groups' Params slices are kept,
// not copied.
func NewSGD(groups []Group, momentum float64, nesterov bool) (*SGD, error) {
	if !(momentum >= 0 && momentum < 1) {
		return nil, fmt.Errorf("optim: SGD momentum %v outside [0, 1)", momentum)
	}
	if nesterov && momentum == 0 {
		return nil, errors.New("optim: SGD Nesterov momentum needs momentum > 0")
	}
	seen := map[*nn.Param]bool{}
	for gi, g := range groups {
		if !finiteNonNeg(g.LR) {
			return nil, fmt.Errorf("optim: SGD group %d: learning rate %v", gi, g.LR)
		}
		if !finiteNonNeg(g.WeightDecay) {
			return nil, fmt.Errorf("optim: SGD group %d: weight decay %v", gi, g.WeightDecay)
		}
		for pi, p := range g.Params {
			if p == nil || p.Value == nil || p.Grad == nil {
				return nil, fmt.Errorf("optim: SGD group %d: parameter %d has no value or gradient", gi, pi)
			}
			if !p.Grad.SameShape(p.Value) || len(p.Grad.Data) != len(p.Value.Data) {
				return nil, fmt.Errorf("optim: SGD group %d: parameter %q is %v with gradient %v", gi, p.Name, p.Value, p.Grad)
			}
			if seen[p] {
				return nil, fmt.Errorf("optim: SGD group %d: parameter %q appears twice", gi, p.Name)
			}
			seen[p] = true
		}
	}
	if len(seen) == 0 {
		return nil, errors.New("optim: SGD has no parameters")
	}
	s := &SGD{groups: groups, momentum: momentum, nesterov: nesterov}
	if momentum > 0 {
		s.buf = make([][]*tensor.Tensor, len(groups))
		for gi, g := range groups {
			for _, p := range g.Params {
				s.buf[gi] = append(s.buf[gi], tensor.New(p.Value.Shape...))
			}
		}
	}
	return s, nil
}

func finiteNonNeg(x float64) bool { return x >= 0 && !math.IsInf(x, 1) }

// Update applies one step from the current gradients with every group's
// learning rate multiplied by scale, and zeroes the gradients.
func (s *SGD) Update(scale float64) {
	s.step++
	mom := float32(s.momentum)
	for gi, g := range s.groups {
		eta := g.LR * scale
		shrink := float32(1 - eta*g.WeightDecay)
		for pi, p := range g.Params {
			grad := p.Grad.Data
			dir := grad
			if s.buf != nil {
				buf := s.buf[gi][pi].Data
				kernels.Scale(mom, buf)
				kernels.Add(buf, grad)
				if s.nesterov {
					kernels.Axpy(mom, buf, grad) // grad is cleared below
				} else {
					dir = buf
				}
			}
			if g.WeightDecay != 0 {
				kernels.Scale(shrink, p.Value.Data)
			}
			kernels.Axpy(float32(-eta), dir, p.Value.Data)
			clear(grad)
		}
	}
}

// Steps returns the number of updates made so far.
func (s *SGD) Steps() int { return s.step }

// State returns the momentum buffers by name ("sgd.buf.<i>" for the i-th
// parameter, counted over the groups in order), for checkpoints, and the
// step count. Without momentum there are no tensors.
func (s *SGD) State() (map[string]*tensor.Tensor, int) {
	names, ts := s.stateTensors()
	out := make(map[string]*tensor.Tensor, len(names))
	for i, name := range names {
		out[name] = ts[i]
	}
	return out, s.step
}

// SetState restores the momentum buffers and the step count written by
// State. A missing or misshapen tensor is an error and leaves s unchanged.
func (s *SGD) SetState(ts map[string]*tensor.Tensor, step int) error {
	names, dsts := s.stateTensors()
	if err := restore("sgd", ts, step, names, dsts); err != nil {
		return err
	}
	s.step = step
	return nil
}

// stateTensors returns the names and tensors of s's state.
func (s *SGD) stateTensors() ([]string, []*tensor.Tensor) {
	var names []string
	var ts []*tensor.Tensor
	for _, bufs := range s.buf {
		for _, b := range bufs {
			names = append(names, fmt.Sprintf("sgd.buf.%d", len(ts)))
			ts = append(ts, b)
		}
	}
	return names, ts
}
