package loss

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/lookalike/lookalike/nn"
)

// Loss is a metric-learning loss over a batch of embeddings with class labels.
type Loss interface {
	// Forward returns the mean loss of the batch emb (n rows of d values,
	// row-major) whose row i has class labels[i] (0 <= label), and keeps
	// what Backward needs.
	Forward(emb []float32, labels []int, n, d int) (float32, error)
	// Backward returns the gradient of the last Forward's loss with respect
	// to emb (n*d values, owned by the loss and valid until its next call),
	// and adds the gradients of the loss's own parameters (see Params) to
	// their Grad.
	Backward() []float32
	// Params returns the loss's own trainable parameters (NormSoftmax's
	// class proxies), or nil.
	Params() []*nn.Param
}

// Spec describes a loss for New. Each loss reads only the fields it needs.
type Spec struct {
	// Name is the registered name of the loss, one of Names().
	Name string
	// Temperature divides the logits or similarities; it must be positive.
	Temperature float64
	// LabelSmoothing is the cross-entropy label smoothing in [0, 1]
	// (norm-softmax only).
	LabelSmoothing float64
	// Classes and Dim are the number of classes and the embedding size
	// (norm-softmax only, for its class proxies).
	Classes, Dim int
}

// constructors maps each registered name to the function that builds the
// loss from a Spec; rng initialises the loss's parameters, if any. Adding a
// loss is one file and one entry here.
var constructors = map[string]func(s Spec, rng *rand.Rand) (Loss, error){
	"pair-softmax": newPairsFromSpec,
	"supcon":       newSupConFromSpec,
	"norm-softmax": newNormSoftmaxFromSpec,
}

// New returns the loss that s names, with its parameters (if any)
// initialised from rng.
func New(s Spec, rng *rand.Rand) (Loss, error) {
	build, ok := constructors[s.Name]
	if !ok {
		return nil, fmt.Errorf("loss: unknown loss %q (want one of %s)", s.Name, strings.Join(Names(), ", "))
	}
	if !(s.Temperature > 0) || math.IsInf(s.Temperature, 0) {
		return nil, fmt.Errorf("loss %s: temperature %v, want a positive finite value", s.Name, s.Temperature)
	}
	l, err := build(s, rng)
	if err != nil {
		return nil, fmt.Errorf("loss %s: %w", s.Name, err)
	}
	return l, nil
}

// Names returns the registered loss names, sorted.
func Names() []string {
	names := make([]string, 0, len(constructors))
	for name := range constructors {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// checkBatch returns an error, prefixed with the loss's name, unless emb
// holds n > 0 rows of d > 0 values and labels holds n non-negative labels.
func checkBatch(name string, emb []float32, labels []int, n, d int) error {
	if n < 1 || d < 1 {
		return fmt.Errorf("%s: batch of %d rows of %d values, want at least one of each", name, n, d)
	}
	if len(emb) != n*d {
		return fmt.Errorf("%s: %d embedding values for %d rows of %d", name, len(emb), n, d)
	}
	if len(labels) != n {
		return fmt.Errorf("%s: %d labels for %d rows", name, len(labels), n)
	}
	for i, y := range labels {
		if y < 0 {
			return fmt.Errorf("%s: label %d of row %d is negative", name, y, i)
		}
	}
	return nil
}

// grow returns s resliced to n elements, reallocated only when its capacity
// is too small. The contents are unspecified.
func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}
