package optim

import (
	"fmt"
	"math"

	"github.com/lookalike/lookalike/kernels"
	"github.com/lookalike/lookalike/nn"
	"github.com/lookalike/lookalike/tensor"
)

// Adam is the Adam optimiser (Kingma & Ba, 2015) in the form Keras and
// PyTorch use: bias-corrected first and second moments, with Epsilon added
// to the square root of the corrected second moment.
//
// Adam has no weight decay; use SGD for decoupled decay over Groups.
type Adam struct {
	LR, Beta1, Beta2, Epsilon float64

	params []*nn.Param
	m, v   []*tensor.Tensor
	step   int
}

var _ Optimizer = (*Adam)(nil)

// NewAdam returns Adam over params with the given learning rate and the
// Keras defaults beta1 0.9, beta2 0.999 and epsilon 1e-7.
func NewAdam(params []*nn.Param, lr float64) *Adam {
	a := &Adam{LR: lr, Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-7, params: params}
	for _, p := range params {
		a.m = append(a.m, tensor.New(p.Value.Shape...))
		a.v = append(a.v, tensor.New(p.Value.Shape...))
	}
	return a
}

// Step applies one update from the current gradients and zeroes them. It
// is Update(1).
func (a *Adam) Step() { a.Update(1) }

// Update applies one update from the current gradients with the learning
// rate LR*scale, and zeroes the gradients.
func (a *Adam) Update(scale float64) {
	a.step++
	bc1 := 1 - math.Pow(a.Beta1, float64(a.step))
	bc2 := 1 - math.Pow(a.Beta2, float64(a.step))
	lr := float32(a.LR * scale)
	for i, p := range a.params {
		kernels.Adam(p.Value.Data, p.Grad.Data, a.m[i].Data, a.v[i].Data,
			lr, float32(a.Beta1), float32(a.Beta2), float32(a.Epsilon), float32(bc1), float32(bc2))
		clear(p.Grad.Data)
	}
}

// Steps returns the number of updates made so far.
func (a *Adam) Steps() int { return a.step }

// State returns the optimiser's moment tensors by name ("adam.m.<i>" and
// "adam.v.<i>" for the i-th parameter), for checkpoints, and the step
// count.
func (a *Adam) State() (map[string]*tensor.Tensor, int) {
	names, ts := a.stateTensors()
	out := make(map[string]*tensor.Tensor, len(names))
	for i, name := range names {
		out[name] = ts[i]
	}
	return out, a.step
}

// SetState restores moments and the step count written by State. A missing
// or misshapen tensor is an error and leaves a unchanged.
func (a *Adam) SetState(ts map[string]*tensor.Tensor, step int) error {
	names, dsts := a.stateTensors()
	if err := restore("adam", ts, step, names, dsts); err != nil {
		return err
	}
	a.step = step
	return nil
}

// stateTensors returns the names and tensors of a's state.
func (a *Adam) stateTensors() ([]string, []*tensor.Tensor) {
	var names []string
	var ts []*tensor.Tensor
	for i := range a.params {
		names = append(names, fmt.Sprintf("adam.m.%d", i), fmt.Sprintf("adam.v.%d", i))
		ts = append(ts, a.m[i], a.v[i])
	}
	return names, ts
}
