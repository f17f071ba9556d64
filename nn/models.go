package nn

import (
	"fmt"
	"sort"
)

// DefaultSize is the input size of a model built without one: CIFAR-10's
// 32 x 32.
const DefaultSize = 32

// Builder makes a built-in model with zero weights for the embedding
// dimension dim and size x size inputs.
type Builder func(dim, size int) (*Model, error)

// Architectures maps each built-in model name to its builder.
func Architectures() map[string]Builder {
	return map[string]Builder{
		"keras-small":  kerasSmallSized,
		"resnet-small": ResNetSmall,
		"resnet-stem":  ResNetStem,
		"fast":         FastNet,
	}
}

// ArchitectureNames returns the built-in model names, sorted.
func ArchitectureNames() []string {
	var names []string
	for name := range Architectures() {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// NewArchitecture returns the named built-in model with zero weights, for
// size x size inputs (DefaultSize when size is 0).
func NewArchitecture(name string, dim, size int) (*Model, error) {
	build, ok := Architectures()[name]
	if !ok {
		return nil, fmt.Errorf("unknown model %q (have %v)", name, ArchitectureNames())
	}
	if dim <= 0 {
		return nil, fmt.Errorf("model %s: embedding dimension %d must be positive", name, dim)
	}
	if size == 0 {
		size = DefaultSize
	}
	if size < 0 {
		return nil, fmt.Errorf("model %s: input size %d must be positive", name, size)
	}
	return build(dim, size)
}

// kerasSmallSized is KerasSmall as a Builder: the example's network takes
// 32 x 32 images only.
func kerasSmallSized(dim, size int) (*Model, error) {
	if size != 32 {
		return nil, fmt.Errorf("model keras-small takes 32x32 images (the Keras example's), not %dx%d: use fast or resnet-small", size, size)
	}
	return KerasSmall(dim)
}

// KerasSmall is the model of the Keras example "Metric learning for image
// similarity search": 32x32x3 input scaled by 1/255, three 3x3 stride-2
// valid convolutions with 32, 64 and 128 filters and ReLU, global average
// pooling, a Dense layer of dim units (8 in the example) and L2
// normalisation.
func KerasSmall(dim int) (*Model, error) {
	return NewModel("keras-small", 32, 3,
		NewRescaling(1.0/255),
		NewConv2D(3, 32, 3, 2, Valid), NewReLU(),
		NewConv2D(32, 64, 3, 2, Valid), NewReLU(),
		NewConv2D(64, 128, 3, 2, Valid), NewReLU(),
		NewGlobalAvgPool(),
		NewDense(128, dim),
		NewL2Normalize(),
	)
}
