package nn

import "fmt"

// ImageIndependent reports whether training computes each image's output
// from that image alone, so that a batch may be split between replicas
// (Replica) with the same result: no trained layer is a BatchNorm that
// normalises with the batch's statistics.
func (m *Model) ImageIndependent() bool {
	ok := true
	walkLayers(m.Layers[min(m.Frozen, len(m.Layers)):], func(l Layer) {
		if bn, isBN := l.(*BatchNorm); isBN && !bn.FrozenStats {
			ok = false
		}
	})
	return ok
}

// Replica returns a copy of the model for data-parallel training: it shares
// the model's parameter values (an update of the model's weights is the
// replica's too) but has gradients and buffers of its own, so that replicas
// can run Forward and Backward on their own images in parallel goroutines.
// The caller adds the replicas' gradients to the model's. The model must
// be ImageIndependent.
func (m *Model) Replica() (*Model, error) {
	if !m.ImageIndependent() {
		return nil, fmt.Errorf("replica of %s: its BatchNorm layers normalise with batch statistics", m.Name)
	}
	c, err := m.Clone()
	if err != nil {
		return nil, fmt.Errorf("replica of %s: %w", m.Name, err)
	}
	c.Frozen = m.Frozen
	ps, cs := m.Params(), c.Params()
	if len(ps) != len(cs) {
		return nil, fmt.Errorf("replica of %s: %d parameters, the model has %d", m.Name, len(cs), len(ps))
	}
	for i, p := range cs {
		p.Value = ps[i].Value
		p.Grad.Zero()
	}
	return c, nil
}
