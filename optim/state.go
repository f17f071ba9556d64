package optim

import (
	"fmt"

	"github.com/lookalike/lookalike/tensor"
)

// restore copies ts[names[i]] into dsts[i] for every i. It checks every
// tensor and the step count before copying any, so a failed restore
// changes nothing. kind names the owner in errors.
func restore(kind string, ts map[string]*tensor.Tensor, step int, names []string, dsts []*tensor.Tensor) error {
	if step < 0 {
		return fmt.Errorf("%s state: negative step count %d", kind, step)
	}
	for i, name := range names {
		t, ok := ts[name]
		if !ok || t == nil {
			return fmt.Errorf("%s state: tensor %s missing", kind, name)
		}
		if !t.SameShape(dsts[i]) || len(t.Data) != len(dsts[i].Data) {
			return fmt.Errorf("%s state: tensor %s is %v, want %v", kind, name, t, dsts[i])
		}
	}
	for i, name := range names {
		copy(dsts[i].Data, ts[name].Data)
	}
	return nil
}
