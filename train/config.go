// Package train runs metric-learning training: it draws batches with a
// sampler, augments them, steps the model, the loss and the optimiser on a
// learning-rate schedule, keeps an average of the weights, records the
// loss, and writes checkpoints that a later run resumes from.
package train

import (
	"errors"
	"fmt"
	"slices"

	"github.com/lookalike/lookalike/data"
	"github.com/lookalike/lookalike/loss"
	"github.com/lookalike/lookalike/nn"
	"github.com/lookalike/lookalike/optim"
)

// Config holds the settings of a training run: the network, the loss, the
// sampler, the optimiser and its schedule, the weight average and the
// augmentation. A recipe (see Recipes) is a complete Config.
type Config struct {
	Recipe string `json:"recipe,omitempty"`
	Model  string `json:"model"`
	Dim    int    `json:"embedding_dim"`
	// Init, when set, is a model directory to start from (fine-tuning):
	// its network and weights replace Model's fresh ones; Dim, when
	// positive, replaces its last Dense layer (or adds one after the
	// pooled features) with a new projection of Dim units. The input size
	// is the model's.
	Init string `json:"init,omitempty"`
	// Projection, when positive, trains through a projection head of this
	// many hidden units (Dense, ReLU, Dense to Dim, SimCLR's) that the
	// saved model leaves out: it embeds the features before the head.
	Projection int `json:"projection,omitempty"`
	// Freeze is the number of leading layers of the model kept as they
	// are (nn.Model.Frozen).
	Freeze int `json:"freeze,omitempty"`
	// FreezeBN keeps every BatchNorm's running statistics and normalises
	// with them in training too (nn.Model.FreezeBatchNorm).
	FreezeBN bool `json:"freeze_batchnorm,omitempty"`
	Epochs   int  `json:"epochs"`
	// Steps is the number of batches per epoch; 0, with the "epochs"
	// sampler, means one pass over the images.
	Steps int    `json:"steps_per_epoch"`
	Seed  uint64 `json:"seed"`
	// CheckpointEvery is the number of steps between checkpoints (0: at the
	// end of every epoch only).
	CheckpointEvery int `json:"checkpoint_every,omitempty"`

	// Loss is a loss.Names() name; Temperature and LabelSmoothing its
	// settings.
	Loss           string  `json:"loss"`
	Temperature    float64 `json:"temperature"`
	LabelSmoothing float64 `json:"label_smoothing,omitempty"`

	// Sampler is "pairs" (one anchor/positive pair per class per batch),
	// "classes" (ImagesPerClass images of BatchSize/ImagesPerClass
	// classes), "epochs" (shuffled passes, BatchSize images) or "views"
	// (self-supervised: BatchSize images twice, two augmented views each,
	// for the pair-softmax loss; labels are not used).
	Sampler        string `json:"sampler"`
	BatchSize      int    `json:"batch_size,omitempty"`
	ImagesPerClass int    `json:"images_per_class,omitempty"`

	// Optimizer is "adam" or "sgd" (Momentum, Nesterov); LR and
	// WeightDecay (decoupled) apply to weight matrices and kernels, NormLR
	// and NormWeightDecay to one-dimensional parameters (biases, BatchNorm
	// shifts) when NormLR is set, else LR and no decay.
	Optimizer       string  `json:"optimizer"`
	LR              float64 `json:"learning_rate"`
	Momentum        float64 `json:"momentum,omitempty"`
	Nesterov        bool    `json:"nesterov,omitempty"`
	WeightDecay     float64 `json:"weight_decay,omitempty"`
	NormLR          float64 `json:"norm_learning_rate,omitempty"`
	NormWeightDecay float64 `json:"norm_weight_decay,omitempty"`
	// Schedule is an optim.ScheduleNames() name; Warmup its warm-up steps.
	Schedule string `json:"schedule"`
	Warmup   int    `json:"warmup_steps,omitempty"`

	// EMA, when positive, keeps an average of the weights (and BatchNorm
	// statistics) updated every EMAEvery steps with a decay that ramps up
	// as (step/total)^3 to EMA, as airbench's lookahead does; the saved
	// model is the average. Lookahead also pulls the weights back to the
	// average at each update.
	EMA       float64 `json:"ema,omitempty"`
	EMAEvery  int     `json:"ema_every,omitempty"`
	Lookahead bool    `json:"lookahead,omitempty"`

	Augment data.Augment `json:"augment,omitzero"`
	// Whiten fits the model's frozen first convolution to the patches of
	// the training images before training (see nn.Conv2D.InitWhitening).
	Whiten bool `json:"whiten,omitempty"`
	// FlipTTA makes the model embed an image as the normalised mean of its
	// own and its mirror image's embeddings.
	FlipTTA bool `json:"flip_tta,omitempty"`
	// TranslateTTA, when positive, also embeds the image translated by
	// this many pixels (see nn.Model.TranslateTTA).
	TranslateTTA int `json:"translate_tta,omitempty"`
	// Size is the input size, in pixels (width and height; 0 means
	// nn.DefaultSize, 32): images are decoded to it and the model built
	// for it and records it.
	Size int `json:"size,omitempty"`
	// Precision is the arithmetic of the model's matrix products, in
	// training and in the saved model: "fp32" (or empty) or "bf16" (see
	// nn.BF16).
	Precision string `json:"precision,omitempty"`
}

// DefaultConfig returns the Keras example's settings, the recipe
// "keras-example": keras-small with 8 dimensions, 20 epochs of 1000
// batches of one pair per class, Adam 1e-3, pair softmax at temperature 0.2.
func DefaultConfig() Config {
	return Config{
		Recipe: "keras-example", Model: "keras-small", Dim: 8, Epochs: 20, Steps: 1000, Seed: 1,
		Loss: "pair-softmax", Temperature: 0.2, Sampler: "pairs",
		Optimizer: "adam", LR: 1e-3, Schedule: "constant",
	}
}

// Validate reports the settings that cannot work.
func (c Config) Validate() error {
	var errs []error
	if _, ok := nn.Architectures()[c.Model]; !ok && c.Init == "" {
		errs = append(errs, fmt.Errorf("unknown model %q (have %v)", c.Model, nn.ArchitectureNames()))
	}
	if c.Dim <= 0 && (c.Init == "" || c.Dim < 0) {
		errs = append(errs, fmt.Errorf("embedding dimension %d must be positive", c.Dim))
	}
	if c.Projection < 0 {
		errs = append(errs, fmt.Errorf("projection head of %d units", c.Projection))
	}
	if c.Freeze < 0 || c.Freeze > 0 && c.Init == "" {
		errs = append(errs, fmt.Errorf("freezing %d layers: only a model started from --init has layers worth freezing", c.Freeze))
	}
	if c.Epochs <= 0 || c.Steps < 0 || (c.Steps == 0 && c.Sampler != "epochs" && c.Sampler != "views") {
		errs = append(errs, fmt.Errorf("epochs (%d) and steps per epoch (%d) must be positive", c.Epochs, c.Steps))
	}
	if !slices.Contains(loss.Names(), c.Loss) {
		errs = append(errs, fmt.Errorf("unknown loss %q (have %v)", c.Loss, loss.Names()))
	}
	if _, ok := nn.Architectures()[c.Model]; ok && c.Dim > 0 && c.Init == "" {
		// The architecture says which sizes it takes.
		if _, err := nn.NewArchitecture(c.Model, c.Dim, c.Size); err != nil {
			errs = append(errs, err)
		}
	}
	if c.TranslateTTA < 0 || c.TranslateTTA > 4 {
		errs = append(errs, fmt.Errorf("translate TTA %d must be in [0, 4] pixels", c.TranslateTTA))
	}
	if _, err := nn.ParsePrecision(c.Precision); err != nil {
		errs = append(errs, err)
	}
	if c.Temperature <= 0 {
		errs = append(errs, fmt.Errorf("temperature %g must be positive", c.Temperature))
	}
	if c.LabelSmoothing < 0 || c.LabelSmoothing >= 1 {
		errs = append(errs, fmt.Errorf("label smoothing %g must be in [0, 1)", c.LabelSmoothing))
	}
	switch c.Sampler {
	case "pairs":
		if c.Loss != "pair-softmax" {
			errs = append(errs, fmt.Errorf("the pairs sampler goes with the pair-softmax loss, not %s", c.Loss))
		}
	case "classes":
		if c.ImagesPerClass < 2 || c.BatchSize < c.ImagesPerClass {
			errs = append(errs, fmt.Errorf("the classes sampler needs at least 2 images per class and a batch of at least that many (have %d and %d)", c.ImagesPerClass, c.BatchSize))
		}
	case "epochs", "views":
		if c.BatchSize <= 0 {
			errs = append(errs, fmt.Errorf("the %s sampler needs a positive batch size, have %d", c.Sampler, c.BatchSize))
		}
		if c.Sampler == "views" && c.Loss != "pair-softmax" {
			errs = append(errs, fmt.Errorf("the views sampler goes with the pair-softmax loss, not %s", c.Loss))
		}
		if c.Sampler == "views" && !c.Augment.Active() {
			errs = append(errs, errors.New("the views sampler needs augmentation: two identical views teach nothing"))
		}
	default:
		errs = append(errs, fmt.Errorf("unknown sampler %q (have pairs, classes, epochs, views)", c.Sampler))
	}
	if c.Loss == "pair-softmax" && c.Sampler != "pairs" && c.Sampler != "views" {
		errs = append(errs, fmt.Errorf("the pair-softmax loss needs the pairs or views sampler, not %s", c.Sampler))
	}
	switch c.Optimizer {
	case "adam", "sgd":
	default:
		errs = append(errs, fmt.Errorf("unknown optimizer %q (have adam, sgd)", c.Optimizer))
	}
	if c.LR <= 0 || c.NormLR < 0 || c.WeightDecay < 0 || c.NormWeightDecay < 0 {
		errs = append(errs, fmt.Errorf("learning rates (%g, %g) must be positive and weight decays (%g, %g) not negative", c.LR, c.NormLR, c.WeightDecay, c.NormWeightDecay))
	}
	if c.Momentum < 0 || c.Momentum >= 1 || (c.Nesterov && c.Momentum == 0) {
		errs = append(errs, fmt.Errorf("momentum %g must be in [0, 1), and positive for Nesterov", c.Momentum))
	}
	if _, err := optim.ParseSchedule(c.Schedule, c.Warmup); err != nil {
		errs = append(errs, err)
	}
	if c.Lookahead && c.EMA == 0 {
		errs = append(errs, errors.New("lookahead needs a weight average (an EMA decay)"))
	}
	if c.EMA < 0 || c.EMA >= 1 || c.EMAEvery < 0 {
		errs = append(errs, fmt.Errorf("EMA decay %g must be in [0, 1) and its interval %d not negative", c.EMA, c.EMAEvery))
	}
	if c.CheckpointEvery < 0 {
		errs = append(errs, fmt.Errorf("checkpoint interval %d must not be negative", c.CheckpointEvery))
	}
	return errors.Join(errs...)
}
