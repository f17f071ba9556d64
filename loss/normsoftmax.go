package loss

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/lookalike/lookalike/kernels"
	"github.com/lookalike/lookalike/nn"
	"github.com/lookalike/lookalike/tensor"
)

// NormSoftmax is the normalised softmax (proxy) loss of Zhai and Wu (2019),
// "Classification is a strong baseline for deep metric learning", which is
// also a cosine classifier without margin. It learns one proxy w_c per
// class, and for unit embeddings z (it does not normalise them) the logits
// are
//
//	logit_ic = z_i.w_c / (||w_c|| T)
//
// The loss is the mean cross-entropy of the softmax of the logits with
// targets (1-eps) on the true class plus eps/classes on every class, as
// PyTorch's CrossEntropyLoss(label_smoothing=eps).
type NormSoftmax struct {
	// Temperature is T, which divides the logits; it must be positive.
	Temperature float32
	// LabelSmoothing is eps, in [0, 1].
	LabelSmoothing float32

	proxies      *nn.Param
	params       []*nn.Param
	classes, dim int

	n    int
	z    []float32 // copy of the last batch, n*dim
	inv  []float32 // 1/||w_c||, classes
	wn   []float32 // normalised proxies, classes*dim
	g    []float32 // logits, then their gradient times n, n*classes
	dwn  []float32 // gradient with respect to wn, classes*dim
	grad []float32 // n*dim
}

// NewNormSoftmax returns the loss for embeddings of dim values in classes
// classes, with the given temperature (0.05 in the paper) and label
// smoothing (0.1 in the paper). Its proxies, a parameter named "proxies"
// of shape [classes, dim], are drawn from a standard normal distribution
// with rng and scaled to unit length.
func NewNormSoftmax(classes, dim int, temperature, labelSmoothing float32, rng *rand.Rand) (*NormSoftmax, error) {
	if classes < 1 || dim < 1 {
		return nil, fmt.Errorf("norm softmax: %d classes of dimension %d, want at least one of each", classes, dim)
	}
	if !(temperature > 0) || math.IsInf(float64(temperature), 0) {
		return nil, fmt.Errorf("norm softmax: temperature %v, want a positive finite value", temperature)
	}
	if !(labelSmoothing >= 0 && labelSmoothing <= 1) {
		return nil, fmt.Errorf("norm softmax: label smoothing %v, want a value in [0, 1]", labelSmoothing)
	}
	if rng == nil {
		return nil, fmt.Errorf("norm softmax: no random source to initialise the proxies")
	}
	p := &nn.Param{Name: "proxies", Value: tensor.New(classes, dim), Grad: tensor.New(classes, dim)}
	for c := 0; c < classes; c++ {
		w := p.Value.Data[c*dim : (c+1)*dim]
		var norm float64
		for norm == 0 {
			for k := range w {
				v := rng.NormFloat64()
				w[k] = float32(v)
				norm += v * v
			}
		}
		inv := 1 / math.Sqrt(norm)
		for k := range w {
			w[k] = float32(float64(w[k]) * inv)
		}
	}
	return &NormSoftmax{
		Temperature: temperature, LabelSmoothing: labelSmoothing,
		proxies: p, params: []*nn.Param{p}, classes: classes, dim: dim,
	}, nil
}

func newNormSoftmaxFromSpec(s Spec, rng *rand.Rand) (Loss, error) {
	return NewNormSoftmax(s.Classes, s.Dim, float32(s.Temperature), float32(s.LabelSmoothing), rng)
}

// Forward returns the loss of the batch emb of n rows of d values, row i
// of class labels[i]. d must be the proxies' dimension and every label
// below the number of classes.
func (l *NormSoftmax) Forward(emb []float32, labels []int, n, d int) (float32, error) {
	if err := checkBatch("norm softmax", emb, labels, n, d); err != nil {
		return 0, err
	}
	C := l.classes
	if d != l.dim {
		return 0, fmt.Errorf("norm softmax: embeddings of dimension %d, but the proxies have %d", d, l.dim)
	}
	for i, y := range labels {
		if y >= C {
			return 0, fmt.Errorf("norm softmax: label %d of row %d is outside [0, %d)", y, i, C)
		}
	}
	if !(l.Temperature > 0) || math.IsInf(float64(l.Temperature), 0) {
		return 0, fmt.Errorf("norm softmax: temperature %v, want a positive finite value", l.Temperature)
	}
	eps := float64(l.LabelSmoothing)
	if !(eps >= 0 && eps <= 1) {
		return 0, fmt.Errorf("norm softmax: label smoothing %v, want a value in [0, 1]", eps)
	}

	l.inv = grow(l.inv, C)
	l.wn = grow(l.wn, C*d)
	for c := 0; c < C; c++ {
		w := l.proxies.Value.Data[c*d : (c+1)*d]
		var norm float64
		for _, v := range w {
			norm += float64(v) * float64(v)
		}
		norm = math.Sqrt(norm)
		if !(norm > 0) || math.IsInf(norm, 0) {
			return 0, fmt.Errorf("norm softmax: proxy %d has norm %v and cannot be normalised", c, norm)
		}
		l.inv[c] = float32(1 / norm)
		for k, v := range w {
			l.wn[c*d+k] = float32(float64(v) / norm)
		}
	}
	l.n = n
	l.z = grow(l.z, n*d)
	copy(l.z, emb)
	l.g = grow(l.g, n*C)
	kernels.Sgemm(false, true, n, C, d, 1/l.Temperature, l.z, d, l.wn, d, 0, l.g, C)

	// With targets q_c = eps/C + (1-eps)[c = y], loss_i = lse_i - sum_c q_c logit_ic
	// and dloss_i/dlogit_ic = softmax_ic - q_c.
	off, on := eps/float64(C), 1-eps+eps/float64(C)
	var total float64
	for i, y := range labels {
		row := l.g[i*C : (i+1)*C]
		mx := row[0]
		for _, v := range row {
			mx = max(mx, v)
		}
		var sum, all float64
		for _, v := range row {
			sum += math.Exp(float64(v - mx))
			all += float64(v)
		}
		lse := math.Log(sum) + float64(mx)
		total += lse - (1-eps)*float64(row[y]) - off*all
		for c, v := range row {
			q := off
			if c == y {
				q = on
			}
			row[c] = float32(math.Exp(float64(v)-lse) - q)
		}
	}
	return float32(total / float64(n)), nil
}

// Backward returns the gradient of the last loss with respect to emb, n*d
// values valid until the next call, and adds the proxies' gradient to their
// Grad.
func (l *NormSoftmax) Backward() []float32 {
	n, d, C := l.n, l.dim, l.classes
	if n == 0 { // no Forward yet
		return nil
	}
	alpha := 1 / (float32(n) * l.Temperature)
	l.grad = grow(l.grad, n*d)
	l.dwn = grow(l.dwn, C*d)
	kernels.Sgemm(false, false, n, d, C, alpha, l.g, C, l.wn, d, 0, l.grad, d)
	kernels.Sgemm(true, false, C, d, n, alpha, l.g, C, l.z, d, 0, l.dwn, d)
	// wn = w/||w|| has Jacobian (I - wn wn^T)/||w||.
	for c := 0; c < C; c++ {
		wn, dwn := l.wn[c*d:(c+1)*d], l.dwn[c*d:(c+1)*d]
		var dot float64
		for k := range wn {
			dot += float64(wn[k]) * float64(dwn[k])
		}
		gw := l.proxies.Grad.Data[c*d : (c+1)*d]
		for k := range gw {
			gw[k] += l.inv[c] * (dwn[k] - float32(dot)*wn[k])
		}
	}
	return l.grad
}

// Params returns the class proxies, a parameter named "proxies" of shape
// [classes, dim].
func (l *NormSoftmax) Params() []*nn.Param { return l.params }
