package loss

import (
	"math"
	"math/rand/v2"
	"testing"
)

// normSoftmaxReference computes the normalised softmax loss in float64
// straight from its definition, normalising the proxies w [classes, d].
func normSoftmaxReference(z, w []float32, labels []int, n, d, classes int, temp, eps float64) float64 {
	var total float64
	for i := 0; i < n; i++ {
		logits := make([]float64, classes)
		for c := range logits {
			var dot, norm float64
			for k := 0; k < d; k++ {
				dot += float64(z[i*d+k]) * float64(w[c*d+k])
				norm += float64(w[c*d+k]) * float64(w[c*d+k])
			}
			logits[c] = dot / math.Sqrt(norm) / temp
		}
		var sum float64
		for _, v := range logits {
			sum += math.Exp(v)
		}
		for c, v := range logits {
			q := eps / float64(classes)
			if c == labels[i] {
				q += 1 - eps
			}
			total -= q * math.Log(math.Exp(v)/sum)
		}
	}
	return total / float64(n)
}

func TestNormSoftmaxValue(t *testing.T) {
	// Proxies (2,0) and (0,3), unit (1,0) and (0,1) once normalised; rows
	// (1,0) of class 0 and (0.6,0.8) of class 1 at T = 0.5 have logits
	// (2, 0) and (1.2, 1.6).
	z := []float32{1, 0, 0.6, 0.8}
	labels := []int{0, 1}
	for _, tc := range []struct {
		eps  float32
		want float64
	}{
		// -log softmax of the true class.
		{0, (math.Log(1+math.Exp(-2)) + math.Log(1+math.Exp(-0.4))) / 2},
		// Targets 0.9 on the true class and 0.1 on the other:
		// lse - 0.9*2 - 0.1*0 and lse - 0.9*1.6 - 0.1*1.2.
		{0.2, (math.Log(math.Exp(2)+1) - 1.8 + math.Log(math.Exp(1.2)+math.Exp(1.6)) - 1.56) / 2},
	} {
		l, err := NewNormSoftmax(2, 2, 0.5, tc.eps, rand.New(rand.NewPCG(1, 2)))
		if err != nil {
			t.Fatal(err)
		}
		p := l.Params()
		if len(p) != 1 || p[0].Name != "proxies" || p[0].Value.Dim(0) != 2 || p[0].Value.Dim(1) != 2 {
			t.Fatalf("Params() = %v", p)
		}
		copy(p[0].Value.Data, []float32{2, 0, 0, 3})
		got, err := l.Forward(z, labels, 2, 2)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(float64(got)-tc.want) > 1e-6 {
			t.Errorf("eps %v: loss = %v, want %v", tc.eps, got, tc.want)
		}
		if ref := normSoftmaxReference(z, p[0].Value.Data, labels, 2, 2, 2, 0.5, float64(tc.eps)); math.Abs(ref-tc.want) > 1e-7 {
			t.Errorf("eps %v: reference = %v, want %v", tc.eps, ref, tc.want)
		}
	}
}

func TestNormSoftmaxGradient(t *testing.T) {
	for _, eps := range []float32{0, 0.1} {
		rng := rand.New(rand.NewPCG(9, 10))
		n, d, classes := 8, 5, 4
		l, err := NewNormSoftmax(classes, d, 0.2, eps, rng)
		if err != nil {
			t.Fatal(err)
		}
		w := l.Params()[0].Value.Data
		for k := range w {
			w[k] *= float32(1 + rng.Float64()) // proxies of various lengths
		}
		z := unitRows(rng, n, d)
		labels := []int{0, 1, 2, 3, 0, 1, 2, 0}
		f := func() float64 { return normSoftmaxReference(z, w, labels, n, d, classes, 0.2, float64(eps)) }
		grad := l.Params()[0].Grad.Data
		for k := range grad {
			grad[k] = 1 // Backward adds to it
		}
		got, err := l.Forward(z, labels, n, d)
		if err != nil {
			t.Fatal(err)
		}
		if want := f(); math.Abs(float64(got)-want) > 1e-5*math.Max(1, want) {
			t.Fatalf("eps %v: loss = %v, want %v", eps, got, want)
		}
		checkGrad(t, "dZ", z, l.Backward(), f)
		for k := range grad {
			grad[k]--
		}
		checkGrad(t, "dW", w, grad, f)
		// The loss does not depend on the proxies' lengths, so each
		// proxy's gradient is orthogonal to it.
		for c := 0; c < classes; c++ {
			var dot float64
			for k := 0; k < d; k++ {
				dot += float64(grad[c*d+k]) * float64(w[c*d+k])
			}
			if math.Abs(dot) > 1e-5 {
				t.Errorf("eps %v: proxy %d: gradient . proxy = %v, want 0", eps, c, dot)
			}
		}
	}
}

func TestNormSoftmaxErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct {
		classes, dim int
		temp, eps    float32
		rng          *rand.Rand
		want         string
	}{
		{0, 2, 0.1, 0, rng, "0 classes"},
		{2, 0, 0.1, 0, rng, "dimension 0"},
		{2, 2, 0, 0, rng, "temperature 0"},
		{2, 2, float32(math.Inf(1)), 0, rng, "temperature +Inf"},
		{2, 2, 0.1, 1.5, rng, "label smoothing 1.5"},
		{2, 2, 0.1, -0.1, rng, "label smoothing -0.1"},
		{2, 2, 0.1, 0, nil, "random"},
	} {
		_, err := NewNormSoftmax(tc.classes, tc.dim, tc.temp, tc.eps, tc.rng)
		wantErr(t, tc.want, err, "norm softmax", tc.want)
	}

	l, err := NewNormSoftmax(3, 2, 0.1, 0.1, rng)
	if err != nil {
		t.Fatal(err)
	}
	z := []float32{1, 0, 0, 1}
	_, err = l.Forward(z, []int{0, 3}, 2, 2)
	wantErr(t, "label out of range", err, "label 3 of row 1", "[0, 3)")
	_, err = l.Forward(z, []int{0}, 1, 4)
	wantErr(t, "wrong dimension", err, "dimension 4", "have 2")
	clear(l.Params()[0].Value.Data[2:4])
	_, err = l.Forward(z, []int{0, 1}, 2, 2)
	wantErr(t, "zero proxy", err, "proxy 1 has norm 0")
}
