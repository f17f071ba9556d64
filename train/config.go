// Package train runs metric-learning training: it draws anchor/positive
// batches, steps the model and the optimiser, records the loss, and writes
// checkpoints that a later run resumes from.
package train

import (
	"errors"
	"fmt"

	"github.com/lookalike/lookalike/nn"
)

// Config holds the settings of a training run. The defaults are those of the
// Keras example.
type Config struct {
	Model       string  `json:"model"`
	Dim         int     `json:"embedding_dim"`
	Epochs      int     `json:"epochs"`
	Steps       int     `json:"steps_per_epoch"`
	LR          float64 `json:"learning_rate"`
	Temperature float64 `json:"temperature"`
	Seed        uint64  `json:"seed"`
	// CheckpointEvery is the number of steps between checkpoints (0: at the
	// end of every epoch only).
	CheckpointEvery int `json:"checkpoint_every,omitempty"`
}

// DefaultConfig returns the Keras example's settings: keras-small with 8
// dimensions, 20 epochs of 1000 batches, Adam 1e-3, temperature 0.2.
func DefaultConfig() Config {
	return Config{Model: "keras-small", Dim: 8, Epochs: 20, Steps: 1000, LR: 1e-3, Temperature: 0.2, Seed: 1}
}

// Validate reports the first setting that cannot work.
func (c Config) Validate() error {
	var errs []error
	if _, ok := nn.Architectures()[c.Model]; !ok {
		errs = append(errs, fmt.Errorf("unknown model %q (have %v)", c.Model, nn.ArchitectureNames()))
	}
	if c.Dim <= 0 {
		errs = append(errs, fmt.Errorf("embedding dimension %d must be positive", c.Dim))
	}
	if c.Epochs <= 0 || c.Steps <= 0 {
		errs = append(errs, fmt.Errorf("epochs (%d) and steps per epoch (%d) must be positive", c.Epochs, c.Steps))
	}
	if c.LR <= 0 {
		errs = append(errs, fmt.Errorf("learning rate %g must be positive", c.LR))
	}
	if c.Temperature <= 0 {
		errs = append(errs, fmt.Errorf("temperature %g must be positive", c.Temperature))
	}
	if c.CheckpointEvery < 0 {
		errs = append(errs, fmt.Errorf("checkpoint interval %d must not be negative", c.CheckpointEvery))
	}
	return errors.Join(errs...)
}

// TotalSteps returns Epochs*Steps.
func (c Config) TotalSteps() int { return c.Epochs * c.Steps }
