package nn

import (
	"fmt"
	"sort"
)

// Architectures maps each built-in model name to its constructor, which
// takes the embedding dimension.
func Architectures() map[string]func(dim int) (*Model, error) {
	return map[string]func(dim int) (*Model, error){
		"keras-small":  KerasSmall,
		"resnet-small": ResNetSmall,
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

// NewArchitecture returns the named built-in model with zero weights.
func NewArchitecture(name string, dim int) (*Model, error) {
	build, ok := Architectures()[name]
	if !ok {
		return nil, fmt.Errorf("unknown model %q (have %v)", name, ArchitectureNames())
	}
	if dim <= 0 {
		return nil, fmt.Errorf("model %s: embedding dimension %d must be positive", name, dim)
	}
	return build(dim)
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
