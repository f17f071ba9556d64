// Package nn holds the layers of the training engine, with forward and
// backward passes, the models built from them, and the model file format.
//
// Activations use the NHWC layout. A layer owns the buffers it returns and
// reuses them on the next call with the same shape, so a training step
// allocates (almost) nothing once the shapes are known: only the goroutines
// that split large work over the cores; a returned tensor is valid until
// the layer's next Forward or Backward call.
package nn

import (
	"math/rand/v2"

	"github.com/lookalike/lookalike/tensor"
)

// Layer is one differentiable step of a model.
type Layer interface {
	// Forward computes the output for input x. With train set, the layer
	// keeps what Backward needs.
	Forward(x *tensor.Tensor, train bool) *tensor.Tensor
	// Backward takes the gradient of the loss with respect to the last
	// output, adds the parameter gradients to each Param's Grad, and returns
	// the gradient with respect to the last input.
	Backward(dy *tensor.Tensor) *tensor.Tensor
	// Params returns the trainable parameters, in a fixed order.
	Params() []*Param
	// OutShape returns the output shape for an input of the given shape
	// (batch dimension included), or an error if the input does not fit.
	OutShape(in []int) ([]int, error)
	// Spec describes the layer's configuration, for model files.
	Spec() Spec
}

// Initializer is a layer whose parameters need a random initialisation.
type Initializer interface {
	Init(rng *rand.Rand)
}

// Param is a trainable tensor with its gradient.
type Param struct {
	Name  string
	Value *tensor.Tensor
	Grad  *tensor.Tensor
}

// newParam returns a zero parameter and gradient of the given shape.
func newParam(name string, shape ...int) *Param {
	return &Param{Name: name, Value: tensor.New(shape...), Grad: tensor.New(shape...)}
}

// glorotUniform fills w with samples from U(-l, l), l = sqrt(6/(fanIn+fanOut)),
// the Keras default kernel initialiser.
func glorotUniform(rng *rand.Rand, w []float32, fanIn, fanOut int) {
	limit := sqrt64(6 / float64(fanIn+fanOut))
	for i := range w {
		w[i] = float32((rng.Float64()*2 - 1) * limit)
	}
}
