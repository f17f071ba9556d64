package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"

	"github.com/lookalike/lookalike/tensor"
)

// Stateful is a layer with tensors that are part of its state but are not
// trained, such as BatchNorm's running statistics. Model files save them
// with the parameters, under the same "layers.<i>.<name>" naming; optimisers
// never see them. Their Params have a nil Grad.
type Stateful interface {
	// State returns the non-trainable tensors, in a fixed order.
	State() []*Param
}

// Default BatchNorm settings, those of PyTorch's BatchNorm2d.
const (
	// DefaultBNMomentum is the weight of the new batch statistics in the
	// running averages, in PyTorch's convention; Keras's momentum=0.99
	// corresponds to 0.01 here.
	DefaultBNMomentum = 0.1
	// DefaultBNEpsilon is added to the variance before the square root.
	DefaultBNEpsilon = 1e-5
)

// BatchNorm is batch normalisation over the last (channel) axis of its
// input, such as NHWC activations or [n, c] features, with PyTorch's
// semantics:
//
//   - In training, each channel is normalised with the mean and the biased
//     variance of the batch (over every other axis), then scaled by Gamma
//     and shifted by Beta; the running statistics move towards the batch's,
//     running = (1-Momentum)*running + Momentum*batch, using the unbiased
//     variance for the running variance.
//   - In inference, the running mean and variance are used instead.
//
// Gamma and Beta are trainable; RunningMean and RunningVar are state (see
// Stateful). With FrozenScale, Gamma is not trained either (it stays as
// initialised, 1, as in airbench's BatchNorm): it is then state too.
type BatchNorm struct {
	C           int     // channels
	Momentum    float64 // weight of the batch in the running averages
	Eps         float64 // added to the variance
	FrozenScale bool    // Gamma is fixed, not a trainable parameter
	// FrozenStats normalises with the running statistics in training too,
	// and keeps them (fine-tuning a pretrained network: its statistics
	// stay those of its data; Gamma and Beta still train).
	FrozenStats bool

	Gamma, Beta             *Param // trainable scale and shift
	RunningMean, RunningVar *Param // running statistics, not trained

	// Set by Forward for Backward.
	x            *tensor.Tensor
	train        bool
	mean, invStd []float64 // statistics used by the last Forward
	partial      []float64 // per-part, per-channel sums: 2*C per part
	c0, c1, c2   []float32 // per-channel coefficients
	mu           []float32 // mean as float32
	y, dx        *tensor.Tensor
}

// NewBatchNorm returns a batch normalisation of c channels with the PyTorch
// defaults (momentum 0.1, epsilon 1e-5), Gamma 1, Beta 0, running mean 0
// and running variance 1.
func NewBatchNorm(c int) *BatchNorm {
	return NewBatchNormWith(c, DefaultBNMomentum, DefaultBNEpsilon)
}

// NewBatchNormWith is NewBatchNorm with an explicit momentum and epsilon.
func NewBatchNormWith(c int, momentum, eps float64) *BatchNorm {
	l := &BatchNorm{
		C: c, Momentum: momentum, Eps: eps,
		Gamma:       newParam("gamma", c),
		Beta:        newParam("beta", c),
		RunningMean: &Param{Name: "running_mean", Value: tensor.New(c)},
		RunningVar:  &Param{Name: "running_var", Value: tensor.New(c)},
		mean:        make([]float64, c),
		invStd:      make([]float64, c),
		c0:          make([]float32, c),
		c1:          make([]float32, c),
		c2:          make([]float32, c),
		mu:          make([]float32, c),
	}
	l.reset()
	return l
}

// reset sets Gamma and the running variance to 1, Beta and the running mean
// to 0.
func (l *BatchNorm) reset() {
	for i := range l.C {
		l.Gamma.Value.Data[i] = 1
		l.Beta.Value.Data[i] = 0
		l.RunningMean.Value.Data[i] = 0
		l.RunningVar.Value.Data[i] = 1
	}
}

// Init resets the layer to its initial state; it draws nothing.
func (l *BatchNorm) Init(*rand.Rand) { l.reset() }

// OutShape returns in, whose last axis must have C channels.
func (l *BatchNorm) OutShape(in []int) ([]int, error) {
	if len(in) < 2 || in[len(in)-1] != l.C {
		return nil, fmt.Errorf("batch_norm: input shape %v, want [n ... %d]", in, l.C)
	}
	return in, nil
}

// Forward normalises x with the batch statistics (train) or the running
// statistics (inference).
func (l *BatchNorm) Forward(x *tensor.Tensor, train bool) *tensor.Tensor {
	if _, err := l.OutShape(x.Shape); err != nil {
		panic(err)
	}
	c := l.C
	m := x.Len() / c
	train = train && !l.FrozenStats
	l.x, l.train = x, train
	if train {
		// Σx and Σx² per channel, in float64.
		s, q := l.sums(m, func(s, q []float64, lo, hi int) {
			for r := lo; r < hi; r++ {
				xs := x.Data[r*c : (r+1)*c]
				for j := range s {
					v := float64(xs[j])
					s[j] += v
					q[j] += v * v
				}
			}
		})
		unbias := 1.0
		if m > 1 {
			unbias = float64(m) / float64(m-1)
		}
		mom := l.Momentum
		rm, rv := l.RunningMean.Value.Data, l.RunningVar.Value.Data
		for j := range c {
			mean := s[j] / float64(m)
			v := max(q[j]/float64(m)-mean*mean, 0)
			l.mean[j] = mean
			l.invStd[j] = 1 / math.Sqrt(v+l.Eps)
			rm[j] = float32((1-mom)*float64(rm[j]) + mom*mean)
			rv[j] = float32((1-mom)*float64(rv[j]) + mom*v*unbias)
		}
	} else {
		for j := range c {
			l.mean[j] = float64(l.RunningMean.Value.Data[j])
			l.invStd[j] = 1 / math.Sqrt(float64(l.RunningVar.Value.Data[j])+l.Eps)
		}
	}
	// y = (x-mean)*scale + beta with scale = gamma*invStd.
	mu, scale, beta := l.mu[:c], l.c0[:c], l.Beta.Value.Data[:c]
	for j := range c {
		mu[j] = float32(l.mean[j])
		scale[j] = float32(float64(l.Gamma.Value.Data[j]) * l.invStd[j])
	}
	l.y = tensor.Ensure(l.y, x.Shape...)
	runParts(l.parts(m), m, func(_, lo, hi int) {
		for r := lo; r < hi; r++ {
			xs, ys := x.Data[r*c:(r+1)*c], l.y.Data[r*c:(r+1)*c]
			for j := range ys {
				ys[j] = (xs[j]-mu[j])*scale[j] + beta[j]
			}
		}
	})
	return l.y
}

// Backward accumulates the Gamma and Beta gradients and returns the input
// gradient. After a training Forward the gradient also flows through the
// batch statistics:
//
//	dx = gamma*invStd * (dy - Σdy/m - xhat*Σ(dy*xhat)/m)
//
// and after an inference Forward it is gamma*invStd*dy.
func (l *BatchNorm) Backward(dy *tensor.Tensor) *tensor.Tensor {
	c, x := l.C, l.x
	m := x.Len() / c
	mu := l.mu[:c]
	// Σdy and Σdy*(x-mean) per channel.
	s, q := l.sums(m, func(s, q []float64, lo, hi int) {
		for r := lo; r < hi; r++ {
			xs, gs := x.Data[r*c:(r+1)*c], dy.Data[r*c:(r+1)*c]
			for j := range s {
				g := float64(gs[j])
				s[j] += g
				q[j] += g * float64(xs[j]-mu[j])
			}
		}
	})
	// dx = k*dy + p*(x-mean) + o per channel.
	k, p, o := l.c0[:c], l.c1[:c], l.c2[:c]
	dg, db := l.Gamma.Grad.Data, l.Beta.Grad.Data
	for j := range c {
		dbeta := s[j]
		dgamma := l.invStd[j] * q[j]
		if !l.FrozenScale {
			dg[j] += float32(dgamma)
		}
		db[j] += float32(dbeta)
		kj := float64(l.Gamma.Value.Data[j]) * l.invStd[j]
		k[j], p[j], o[j] = float32(kj), 0, 0
		if l.train {
			p[j] = float32(-kj * dgamma * l.invStd[j] / float64(m))
			o[j] = float32(-kj * dbeta / float64(m))
		}
	}
	l.dx = tensor.Ensure(l.dx, x.Shape...)
	runParts(l.parts(m), m, func(_, lo, hi int) {
		for r := lo; r < hi; r++ {
			xs, gs, ds := x.Data[r*c:(r+1)*c], dy.Data[r*c:(r+1)*c], l.dx.Data[r*c:(r+1)*c]
			for j := range ds {
				ds[j] = k[j]*gs[j] + p[j]*(xs[j]-mu[j]) + o[j]
			}
		}
	})
	return l.dx
}

// bnParallelMin is the number of elements per goroutine below which
// BatchNorm does not split its work.
const bnParallelMin = 1 << 15

// parts returns the number of parts to split m rows of C channels into.
func (l *BatchNorm) parts(m int) int {
	return max(min(runtime.GOMAXPROCS(0), m*l.C/bnParallelMin, m), 1)
}

// runParts runs fn on parts contiguous ranges of m rows, concurrently when
// there is more than one.
func runParts(parts, m int, fn func(part, lo, hi int)) {
	if parts == 1 {
		fn(0, 0, m)
		return
	}
	var wg sync.WaitGroup
	for i := range parts {
		wg.Go(func() { fn(i, m*i/parts, m*(i+1)/parts) })
	}
	wg.Wait()
}

// sums runs acc over m rows split into parts, each part adding into its own
// zeroed pair of per-channel sums, and returns the pairs' totals, summed in
// part order.
func (l *BatchNorm) sums(m int, acc func(s, q []float64, lo, hi int)) (s, q []float64) {
	c, parts := l.C, l.parts(m)
	if len(l.partial) < 2*c*parts {
		l.partial = make([]float64, 2*c*parts)
	}
	clear(l.partial)
	runParts(parts, m, func(part, lo, hi int) {
		ps := l.partial[2*c*part : 2*c*(part+1)]
		acc(ps[:c], ps[c:], lo, hi)
	})
	s, q = l.partial[:c], l.partial[c:2*c]
	for part := 1; part < parts; part++ {
		ps := l.partial[2*c*part : 2*c*(part+1)]
		for j := range c {
			s[j] += ps[j]
			q[j] += ps[c+j]
		}
	}
	return s, q
}

// Params returns Gamma and Beta.
func (l *BatchNorm) Params() []*Param {
	if l.FrozenScale {
		return []*Param{l.Beta}
	}
	return []*Param{l.Gamma, l.Beta}
}

// State returns the running mean and variance, and Gamma when it is frozen.
func (l *BatchNorm) State() []*Param {
	if l.FrozenScale {
		return []*Param{l.RunningMean, l.RunningVar, l.Gamma}
	}
	return []*Param{l.RunningMean, l.RunningVar}
}

// Spec describes the layer.
func (l *BatchNorm) Spec() Spec {
	return Spec{Type: "batch_norm", InC: l.C, Momentum: l.Momentum, Epsilon: l.Eps, FrozenScale: l.FrozenScale}
}
