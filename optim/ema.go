package optim

import (
	"fmt"

	"github.com/lookalike/lookalike/kernels"
	"github.com/lookalike/lookalike/tensor"
)

// EMA is an exponential moving average of a set of tensors (Polyak
// averaging of weights). It takes tensors rather than parameters so that
// state such as BatchNorm running statistics can be averaged along with
// the weights.
//
// For evaluation or saving with the averaged weights, Swap exchanges the
// tracked values with the averages and a second Swap undoes it; CopyTo
// writes the averages into the tracked tensors (or another model's tensors
// of the same shapes) for good. The lookahead form airbench uses, where the model continues from
// the average, is UpdateWith(decay) followed by CopyTo of the tracked
// tensors.
type EMA struct {
	// Decay is the weight of the old average in Update.
	Decay float64

	src, avg []*tensor.Tensor
	updates  int
}

// NewEMA returns an average of tensors, starting from copies of their
// current values, with the given decay. The tensors are kept and read at
// each update; decay is usually close to 1 (0.99, 0.999).
func NewEMA(tensors []*tensor.Tensor, decay float64) *EMA {
	e := &EMA{Decay: decay, src: tensors}
	for _, t := range tensors {
		e.avg = append(e.avg, t.Clone())
	}
	return e
}

// Update folds the current values into the averages with e.Decay. It is
// UpdateWith(e.Decay).
func (e *EMA) Update() { e.UpdateWith(e.Decay) }

// UpdateWith folds the current values into the averages with the given
// decay: avg = decay*avg + (1-decay)*value. A decay of 1 leaves the
// averages as they are; 0 sets them to the values.
func (e *EMA) UpdateWith(decay float64) {
	e.updates++
	for i, t := range e.src {
		a := e.avg[i].Data
		switch decay {
		case 1:
		case 0:
			copy(a, t.Data)
		default:
			kernels.Scale(float32(decay), a)
			kernels.Axpy(float32(1-decay), t.Data, a)
		}
	}
}

// Updates returns the number of updates made so far.
func (e *EMA) Updates() int { return e.updates }

// Averages returns the averaged tensors, in the order of the tracked ones.
// They are e's own and change with each update.
func (e *EMA) Averages() []*tensor.Tensor { return e.avg[:len(e.avg):len(e.avg)] }

// CopyTo copies the averages into dst, which must hold tensors of the
// tracked shapes in the same order; it panics otherwise. CopyTo of the
// tracked tensors themselves makes the model the averaged one.
func (e *EMA) CopyTo(dst []*tensor.Tensor) {
	if len(dst) != len(e.avg) {
		panic(fmt.Sprintf("optim: EMA.CopyTo: %d tensors for %d averages", len(dst), len(e.avg)))
	}
	for i, d := range dst {
		if !d.SameShape(e.avg[i]) {
			panic(fmt.Sprintf("optim: EMA.CopyTo: tensor %d is %v, want %v", i, d, e.avg[i]))
		}
	}
	for i, d := range dst {
		copy(d.Data, e.avg[i].Data)
	}
}

// Swap exchanges the values of the tracked tensors and the averages, in
// place, so the model holds the averaged weights; calling it again
// restores them. Do not Update between the two calls.
func (e *EMA) Swap() {
	for i, t := range e.src {
		a := e.avg[i].Data
		for j, v := range t.Data {
			t.Data[j], a[j] = a[j], v
		}
	}
}

// State returns the averages by name ("ema.<i>" for the i-th tensor), for
// checkpoints, and the number of updates.
func (e *EMA) State() (map[string]*tensor.Tensor, int) {
	out := make(map[string]*tensor.Tensor, len(e.avg))
	for i, a := range e.avg {
		out[emaName(i)] = a
	}
	return out, e.updates
}

// SetState restores the averages and the update count written by State.
// A missing or misshapen tensor is an error and leaves e unchanged.
func (e *EMA) SetState(ts map[string]*tensor.Tensor, updates int) error {
	names := make([]string, len(e.avg))
	for i := range names {
		names[i] = emaName(i)
	}
	if err := restore("ema", ts, updates, names, e.avg); err != nil {
		return err
	}
	e.updates = updates
	return nil
}

func emaName(i int) string { return fmt.Sprintf("ema.%d", i) }
