package train

import (
	"fmt"
	"math/rand/v2"

	"github.com/lookalike/lookalike/nn"
)

// initModel loads the model cfg.Init starts from and, when cfg.Dim is
// positive, gives it a new projection head: its last Dense layer (before
// the L2 normalisation) is replaced, or, after pooled features, one is
// added, of cfg.Dim units initialised from cfg.Seed. The model's input
// size must be cfg.Size when that is set.
func initModel(cfg Config) (*nn.Model, error) {
	m, _, err := nn.Load(cfg.Init)
	if err != nil {
		return nil, fmt.Errorf("train --init: %w", err)
	}
	if cfg.Size != 0 && cfg.Size != m.Size {
		return nil, fmt.Errorf("train --init: %s takes %dx%d images, not %dx%d (leave the size out to use the model's)", cfg.Init, m.Size, m.Size, cfg.Size, cfg.Size)
	}
	if cfg.Dim == 0 {
		return m, nil
	}
	layers, n, err := features(m)
	if err != nil {
		return nil, fmt.Errorf("train --init: %s: %w", cfg.Init, err)
	}
	head := nn.NewDense(n, cfg.Dim)
	head.Init(rand.New(rand.NewPCG(cfg.Seed, 0x6865)))
	return withLayers(m, append(layers, head, nn.NewL2Normalize())...)
}

// features returns the layers of m before its head (a final Dense layer
// before the L2 normalisation, or just the normalisation after pooled
// features) and the length of the feature vector they compute.
func features(m *nn.Model) ([]nn.Layer, int, error) {
	layers := m.Layers
	if _, ok := layers[len(layers)-1].(*nn.L2Normalize); !ok {
		return nil, 0, fmt.Errorf("the model does not end with an L2 normalisation; cannot give it a new head")
	}
	layers = layers[:len(layers)-1]
	if _, ok := layers[len(layers)-1].(*nn.Dense); ok {
		layers = layers[:len(layers)-1]
	}
	body, err := nn.NewModel(m.Name, m.Size, m.Channels, layers...)
	if err != nil {
		return nil, 0, err
	}
	shape, err := body.OutShape(1)
	if err != nil || len(shape) != 2 {
		return nil, 0, fmt.Errorf("the features before the model's head have shape %v, not a vector", shape)
	}
	return layers, shape[1], nil
}

// withLayers returns a model of m's name, input and test-time
// augmentation with the given layers (shared, not copied).
func withLayers(m *nn.Model, layers ...nn.Layer) (*nn.Model, error) {
	out, err := nn.NewModel(m.Name, m.Size, m.Channels, layers...)
	if err != nil {
		return nil, err
	}
	out.FlipTTA, out.TranslateTTA = m.FlipTTA, m.TranslateTTA
	return out, nil
}
