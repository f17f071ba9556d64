package loss

import (
	"math"
	"math/rand/v2"
	"testing"
)

// reference computes the loss in float64 straight from its definition.
func reference(a, p []float32, n, d int, temp float64) float64 {
	var total float64
	for i := 0; i < n; i++ {
		logits := make([]float64, n)
		for j := 0; j < n; j++ {
			var s float64
			for k := 0; k < d; k++ {
				s += float64(a[i*d+k]) * float64(p[j*d+k])
			}
			logits[j] = s / temp
		}
		var z float64
		for _, v := range logits {
			z += math.Exp(v)
		}
		total += -math.Log(math.Exp(logits[i]) / z)
	}
	return total / float64(n)
}

func TestPairSoftmaxValue(t *testing.T) {
	// Two orthogonal pairs that match perfectly: logits [[5,0],[0,5]],
	// loss = log(1+e^-5).
	a := []float32{1, 0, 0, 1}
	l := NewPairSoftmax(0.2)
	got, err := l.Forward(a, a, 2, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := math.Log(1 + math.Exp(-5))
	if math.Abs(float64(got)-want) > 1e-6 {
		t.Fatalf("loss = %v, want %v", got, want)
	}
	if _, err := l.Forward(a, a[:2], 2, 2); err == nil {
		t.Fatal("want error for mismatched sizes")
	}
}

func TestPairSoftmaxGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	n, d := 6, 5
	a, p := make([]float32, n*d), make([]float32, n*d)
	for i := range a {
		a[i], p[i] = float32(rng.NormFloat64()), float32(rng.NormFloat64())
	}
	l := NewPairSoftmax(0.2)
	got, _ := l.Forward(a, p, n, d)
	if want := reference(a, p, n, d, 0.2); math.Abs(float64(got)-want) > 1e-4*math.Max(1, want) {
		t.Fatalf("loss = %v, want %v", got, want)
	}
	dA, dP := l.Backward(a, p)
	const eps = 1e-3
	check := func(name string, x []float32, grad []float32) {
		for i := range x {
			orig := x[i]
			x[i] = orig + eps
			up := reference(a, p, n, d, 0.2)
			x[i] = orig - eps
			down := reference(a, p, n, d, 0.2)
			x[i] = orig
			num := (up - down) / (2 * eps)
			if math.Abs(num-float64(grad[i])) > 1e-3+1e-2*math.Abs(num) {
				t.Errorf("%s[%d]: analytic %v, numeric %v", name, i, grad[i], num)
			}
		}
	}
	check("dA", a, dA.Data)
	check("dP", p, dP.Data)
}
