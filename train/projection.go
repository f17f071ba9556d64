package train

import (
	"fmt"
	"math/rand/v2"

	"github.com/lookalike/lookalike/nn"
)

// projectionLayers is the length of the head withProjection adds: Dense,
// ReLU, Dense, L2 normalisation.
const projectionLayers = 4

// withProjection returns m with its head replaced by SimCLR's projection
// head, used in training only: Dense(features, hidden), ReLU,
// Dense(hidden, dim), L2 normalisation, initialised from seed. The loss
// sees the projections; the saved model (Trainer.Saved) the features
// before the head, where the augmentations' invariance has not been
// learned away.
func withProjection(m *nn.Model, hidden, dim int, seed uint64) (*nn.Model, error) {
	layers, n, err := features(m)
	if err != nil {
		return nil, fmt.Errorf("train: projection head: %w", err)
	}
	rng := rand.New(rand.NewPCG(seed, 0x7072))
	d1, d2 := nn.NewDense(n, hidden), nn.NewDense(hidden, dim)
	d1.Init(rng)
	d2.Init(rng)
	return withLayers(m, append(layers, d1, nn.NewReLU(), d2, nn.NewL2Normalize())...)
}

// Saved returns the model as it is saved and validated: with a projection
// head (Config.Projection), the trained network without it, embedding the
// L2-normalised features before the head (its layers are the trainer's,
// shared); otherwise the trained model itself.
func (t *Trainer) Saved() *nn.Model {
	if t.Config.Projection == 0 {
		return t.Model
	}
	if t.saved == nil {
		layers := t.Model.Layers[:len(t.Model.Layers)-projectionLayers]
		m, err := withLayers(t.Model, append(layers[:len(layers):len(layers)], nn.NewL2Normalize())...)
		if err != nil {
			// The same layers fitted with the head on top.
			panic(fmt.Sprintf("train: the model without its projection head: %v", err))
		}
		m.SetPrecision(t.Model.Precision())
		t.saved = m
	}
	return t.saved
}
