package optim

import (
	"github.com/lookalike/lookalike/nn"
	"github.com/lookalike/lookalike/tensor"
)

// Optimizer updates parameters from their gradients. *Adam and *SGD
// implement it.
type Optimizer interface {
	// Update applies one step from the current gradients, with every
	// learning rate multiplied by scale (a Schedule's factor), and then
	// zeroes the gradients.
	Update(scale float64)
	// Steps returns the number of updates made so far.
	Steps() int
	// State returns the optimiser's tensors by name, for checkpoints, and
	// the step count. The names are unique per parameter and prefixed with
	// the optimiser's kind, so they can share a map with other state. The
	// tensors are the optimiser's own, not copies.
	State() (map[string]*tensor.Tensor, int)
	// SetState restores tensors and a step count written by State, copying
	// the values. Names it does not know are ignored; a missing name or a
	// wrong shape is an error, and leaves the optimiser unchanged.
	SetState(ts map[string]*tensor.Tensor, step int) error
}

// Group is a set of parameters sharing optimiser settings.
type Group struct {
	Params      []*nn.Param
	LR          float64 // base learning rate
	WeightDecay float64 // decoupled weight decay (0: none)
}

// SplitDecay splits params into two groups for the usual recipe of no
// weight decay on biases and normalisation parameters: the first group
// holds the parameters with two or more dimensions (kernels, weight
// matrices) with learning rate lr and weight decay wd; the second holds the
// others (biases, BatchNorm scale and shift: a Value.Shape of length 1, or
// scalars) with otherLR and otherWD. The order of params is kept within
// each group. Both groups are always returned, even if one is empty.
func SplitDecay(params []*nn.Param, lr, wd, otherLR, otherWD float64) []Group {
	decay := Group{LR: lr, WeightDecay: wd}
	other := Group{LR: otherLR, WeightDecay: otherWD}
	for _, p := range params {
		if len(p.Value.Shape) >= 2 {
			decay.Params = append(decay.Params, p)
		} else {
			other.Params = append(other.Params, p)
		}
	}
	return []Group{decay, other}
}
