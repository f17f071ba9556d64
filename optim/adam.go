// Package optim holds the optimisers that update a model's parameters from
// their gradients.
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
type Adam struct {
	LR, Beta1, Beta2, Epsilon float64

	params []*nn.Param
	m, v   []*tensor.Tensor
	step   int
}

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

// Step applies one update from the current gradients and zeroes them.
func (a *Adam) Step() {
	a.step++
	bc1 := 1 - math.Pow(a.Beta1, float64(a.step))
	bc2 := 1 - math.Pow(a.Beta2, float64(a.step))
	for i, p := range a.params {
		kernels.Adam(p.Value.Data, p.Grad.Data, a.m[i].Data, a.v[i].Data,
			float32(a.LR), float32(a.Beta1), float32(a.Beta2), float32(a.Epsilon), float32(bc1), float32(bc2))
		clear(p.Grad.Data)
	}
}

// Steps returns the number of updates made so far.
func (a *Adam) Steps() int { return a.step }

// State returns the optimiser's moment tensors by name ("m.<i>", "v.<i>"),
// for checkpoints, and the step count.
func (a *Adam) State() (map[string]*tensor.Tensor, int) {
	out := map[string]*tensor.Tensor{}
	for i := range a.params {
		out[fmt.Sprintf("adam.m.%d", i)] = a.m[i]
		out[fmt.Sprintf("adam.v.%d", i)] = a.v[i]
	}
	return out, a.step
}

// SetState restores moments and the step count written by State.
func (a *Adam) SetState(ts map[string]*tensor.Tensor, step int) error {
	for i := range a.params {
		for _, pair := range []struct {
			name string
			dst  *tensor.Tensor
		}{{fmt.Sprintf("adam.m.%d", i), a.m[i]}, {fmt.Sprintf("adam.v.%d", i), a.v[i]}} {
			t, ok := ts[pair.name]
			if !ok || !t.SameShape(pair.dst) {
				return fmt.Errorf("adam state: tensor %s missing or of the wrong shape", pair.name)
			}
			copy(pair.dst.Data, t.Data)
		}
	}
	a.step = step
	return nil
}
