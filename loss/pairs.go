package loss

import (
	"fmt"
	"math/rand/v2"

	"github.com/lookalike/lookalike/nn"
)

// Pairs is PairSoftmax as a Loss, for batches laid out as n/2 anchors
// followed by their n/2 positives: rows i and i+n/2 are a pair. Every other
// positive is a negative for an anchor, whatever its label, so a batch
// should hold one pair per class, as the Keras example's sampler draws.
type Pairs struct {
	// PairSoftmax is the loss that Pairs delegates to.
	PairSoftmax *PairSoftmax

	n, d      int
	emb, grad []float32
}

// NewPairs returns the pair softmax loss with the given temperature as a
// Loss.
func NewPairs(temperature float32) *Pairs {
	return &Pairs{PairSoftmax: NewPairSoftmax(temperature)}
}

func newPairsFromSpec(s Spec, _ *rand.Rand) (Loss, error) {
	return NewPairs(float32(s.Temperature)), nil
}

// Forward returns the pair softmax loss of emb, n rows of d values of which
// the first n/2 are the anchors and the last n/2 their positives. n must be
// even. Labels are only checked: nil, or n labels with labels[i] ==
// labels[i+n/2].
func (l *Pairs) Forward(emb []float32, labels []int, n, d int) (float32, error) {
	if labels == nil {
		if n < 1 || d < 1 || len(emb) != n*d {
			return 0, fmt.Errorf("pair softmax: %d embedding values for %d rows of %d", len(emb), n, d)
		}
	} else if err := checkBatch("pair softmax", emb, labels, n, d); err != nil {
		return 0, err
	}
	if n%2 != 0 {
		return 0, fmt.Errorf("pair softmax: odd batch of %d rows, want anchors then positives", n)
	}
	h := n / 2
	for i := 0; i < h && labels != nil; i++ {
		if labels[i] != labels[i+h] {
			return 0, fmt.Errorf("pair softmax: anchor %d has label %d but its positive (row %d) has %d", i, labels[i], i+h, labels[i+h])
		}
	}
	l.n, l.d = n, d
	l.emb = grow(l.emb, n*d)
	copy(l.emb, emb)
	return l.PairSoftmax.Forward(l.emb[:h*d], l.emb[h*d:], h, d)
}

// Backward returns the gradient of the last loss with respect to emb,
// anchors' rows first. Call it at most once per Forward: PairSoftmax's
// Backward consumes its probabilities.
func (l *Pairs) Backward() []float32 {
	n, d, h := l.n, l.d, l.n/2
	dA, dP := l.PairSoftmax.Backward(l.emb[:h*d], l.emb[h*d:])
	l.grad = grow(l.grad, n*d)
	copy(l.grad, dA.Data)
	copy(l.grad[h*d:], dP.Data)
	return l.grad
}

// Params returns nil: the pair softmax has no parameters.
func (l *Pairs) Params() []*nn.Param { return nil }
