package loss

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/lookalike/lookalike/kernels"
	"github.com/lookalike/lookalike/nn"
)

// SupCon is the supervised contrastive loss of Khosla et al. (2020), in its
// L_out form, for L2-normalised embeddings z (it does not normalise them).
// For each anchor i with at least one positive, P(i) = {p != i : y_p = y_i}
// and A(i) = {a != i},
//
//	loss_i = -1/|P(i)| * sum_{p in P(i)} log(exp(z_i.z_p/T) / sum_{a in A(i)} exp(z_i.z_a/T))
//
// and the loss is the mean of loss_i over the anchors that have a positive.
type SupCon struct {
	// Temperature is T, which divides the similarities; it must be positive.
	Temperature float32

	n, d int
	// scale is 1/(T * number of anchors with a positive), for Backward.
	scale float32
	z     []float32 // copy of the last batch, n*d
	g     []float32 // logits s_ij = z_i.z_j/T, then G_ij = d(sum of loss_i)/ds_ij, n*n
	grad  []float32 // n*d
}

// NewSupCon returns the supervised contrastive loss with the given
// temperature (0.1 in the paper).
func NewSupCon(temperature float32) *SupCon {
	return &SupCon{Temperature: temperature}
}

func newSupConFromSpec(s Spec, _ *rand.Rand) (Loss, error) {
	return NewSupCon(float32(s.Temperature)), nil
}

// Forward returns the loss of the batch emb of n rows of d values, row i
// of class labels[i]. It is an error if no row shares its label with
// another.
func (l *SupCon) Forward(emb []float32, labels []int, n, d int) (float32, error) {
	if err := checkBatch("supcon", emb, labels, n, d); err != nil {
		return 0, err
	}
	if !(l.Temperature > 0) || math.IsInf(float64(l.Temperature), 0) {
		return 0, fmt.Errorf("supcon: temperature %v, want a positive finite value", l.Temperature)
	}
	l.n, l.d = n, d
	l.z = grow(l.z, n*d)
	copy(l.z, emb)
	l.g = grow(l.g, n*n)
	kernels.Sgemm(false, true, n, n, d, 1/l.Temperature, l.z, d, l.z, d, 0, l.g, n)

	var total float64
	anchors := 0
	for i := 0; i < n; i++ {
		row, y := l.g[i*n:(i+1)*n], labels[i]
		positives := 0
		mx := float32(math.Inf(-1))
		for j, s := range row {
			if j == i {
				continue
			}
			mx = max(mx, s)
			if labels[j] == y {
				positives++
			}
		}
		if positives == 0 {
			clear(row)
			continue
		}
		anchors++
		var sum, pos float64
		for j, s := range row {
			if j == i {
				continue
			}
			sum += math.Exp(float64(s - mx))
			if labels[j] == y {
				pos += float64(s)
			}
		}
		lse := math.Log(sum) + float64(mx)
		total += lse - pos/float64(positives)
		// dloss_i/ds_ij = softmax_ij - [j in P(i)]/|P(i)| over j != i.
		inv := 1 / float64(positives)
		for j, s := range row {
			switch {
			case j == i:
				row[j] = 0
			case labels[j] == y:
				row[j] = float32(math.Exp(float64(s)-lse) - inv)
			default:
				row[j] = float32(math.Exp(float64(s) - lse))
			}
		}
	}
	if anchors == 0 {
		return 0, fmt.Errorf("supcon: none of the %d rows shares its label with another, so no anchor has a positive", n)
	}
	l.scale = 1 / (l.Temperature * float32(anchors))
	return float32(total / float64(anchors)), nil
}

// Backward returns the gradient of the last loss with respect to emb,
// n*d values valid until the next call.
func (l *SupCon) Backward() []float32 {
	n, d := l.n, l.d
	l.grad = grow(l.grad, n*d)
	// s_ij = z_i.z_j/T, so dloss/dZ = (G Z + G^T Z) / (T * anchors).
	kernels.Sgemm(false, false, n, d, n, l.scale, l.g, n, l.z, d, 0, l.grad, d)
	kernels.Sgemm(true, false, n, d, n, l.scale, l.g, n, l.z, d, 1, l.grad, d)
	return l.grad
}

// Params returns nil: the supervised contrastive loss has no parameters.
func (l *SupCon) Params() []*nn.Param { return nil }
