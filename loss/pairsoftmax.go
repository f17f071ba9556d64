// Package loss holds the metric-learning losses.
package loss

import (
	"fmt"
	"math"

	"github.com/lookalike/lookalike/kernels"
	"github.com/lookalike/lookalike/tensor"
)

// PairSoftmax is the loss of the Keras metric-learning example (an N-pair
// or InfoNCE loss): for a batch of n (anchor, positive) pairs, one per
// class, the logits are the dot products of every anchor with every positive
// divided by a temperature, and the loss is the mean softmax cross-entropy
// with each anchor's own positive as the label, on the diagonal.
type PairSoftmax struct {
	Temperature float32

	n, d          int
	logits, probs []float32
	dA, dP        *tensor.Tensor
}

// NewPairSoftmax returns the loss with the given temperature (0.2 in the
// example).
func NewPairSoftmax(temperature float32) *PairSoftmax {
	return &PairSoftmax{Temperature: temperature}
}

// Forward returns the loss for anchors and positives, both [n, d], and
// keeps what Backward needs.
func (l *PairSoftmax) Forward(anchors, positives []float32, n, d int) (float32, error) {
	if len(anchors) != n*d || len(positives) != n*d {
		return 0, fmt.Errorf("pair softmax: %d anchor and %d positive values for %d pairs of %d", len(anchors), len(positives), n, d)
	}
	l.n, l.d = n, d
	if cap(l.logits) < n*n {
		l.logits, l.probs = make([]float32, n*n), make([]float32, n*n)
	}
	l.logits, l.probs = l.logits[:n*n], l.probs[:n*n]
	kernels.Sgemm(false, true, n, n, d, 1/l.Temperature, anchors, d, positives, d, 0, l.logits, n)
	var total float64
	for i := 0; i < n; i++ {
		row, p := l.logits[i*n:(i+1)*n], l.probs[i*n:(i+1)*n]
		mx := row[0]
		for _, v := range row {
			mx = max(mx, v)
		}
		var sum float64
		for j, v := range row {
			e := math.Exp(float64(v - mx))
			p[j] = float32(e)
			sum += e
		}
		for j := range p {
			p[j] = float32(float64(p[j]) / sum)
		}
		total += math.Log(sum) + float64(mx) - float64(row[i])
	}
	return float32(total / float64(n)), nil
}

// Backward returns the gradients of the last loss with respect to the
// anchors and the positives, both [n, d]. They stay valid until the next
// call.
func (l *PairSoftmax) Backward(anchors, positives []float32) (dA, dP *tensor.Tensor) {
	n, d := l.n, l.d
	// dlogits = (softmax - onehot) / n, reusing probs.
	g := l.probs
	for i := 0; i < n; i++ {
		g[i*n+i] -= 1
	}
	scale := 1 / (float32(n) * l.Temperature)
	l.dA = tensor.Ensure(l.dA, n, d)
	l.dP = tensor.Ensure(l.dP, n, d)
	kernels.Sgemm(false, false, n, d, n, scale, g, n, positives, d, 0, l.dA.Data, d)
	kernels.Sgemm(true, false, n, d, n, scale, g, n, anchors, d, 0, l.dP.Data, d)
	return l.dA, l.dP
}
