package train

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/lookalike/lookalike/nn"
	"github.com/lookalike/lookalike/tensor"
)

// TestDataParallel checks that the replicas' passes give the embeddings and
// the parameter gradients of the whole batch run as one, that the replicas
// follow the model's weights, and that models coupling images are run as
// one.
func TestDataParallel(t *testing.T) {
	m, err := nn.KerasSmall(8)
	if err != nil {
		t.Fatal(err)
	}
	m.Init(rand.New(rand.NewPCG(1, 2)))
	rng := rand.New(rand.NewPCG(3, 4))
	const n = 20
	x := tensor.New(n, 32, 32, 3)
	for i := range x.Data {
		x.Data[i] = float32(rng.IntN(256))
	}
	dy := tensor.New(n, 8)
	for i := range dy.Data {
		dy.Data[i] = float32(rng.NormFloat64())
	}
	grads := func() [][]float32 {
		var gs [][]float32
		for _, p := range m.TrainableParams() {
			gs = append(gs, append([]float32(nil), p.Grad.Data...))
			p.Grad.Zero()
		}
		return gs
	}
	want := m.Forward(x, true).Clone()
	m.Backward(dy)
	wantGrads := grads()

	for _, cpus := range []int{2, 3} {
		d, err := newDataParallel(m, n, cpus)
		if err != nil || d == nil || len(d.replicas) != cpus {
			t.Fatalf("%d CPUs: %v replicas, error %v", cpus, d, err)
		}
		for step := range 2 {
			got := d.forward(x)
			if diff := maxDiff(got.Data, want.Data); diff > 1e-5 {
				t.Fatalf("%d CPUs, step %d: embeddings differ by %g", cpus, step, diff)
			}
			d.backward(dy)
			for j, g := range grads() {
				if diff := maxDiff(g, wantGrads[j]); diff > 1e-4*(1+maxAbs(wantGrads[j])) {
					t.Fatalf("%d CPUs, step %d: gradient %d differs by %g", cpus, step, j, diff)
				}
			}
			for _, r := range d.replicas[1:] {
				for _, p := range r.TrainableParams() {
					if maxAbs(p.Grad.Data) != 0 {
						t.Fatal("a replica's gradient was left after the sum")
					}
				}
			}
		}
		// The replicas see a change of the model's weights.
		p := m.TrainableParams()[0]
		p.Value.Data[0] += 0.5
		got := d.forward(x).Clone()
		one := m.Forward(x, true)
		if diff := maxDiff(got.Data, one.Data); diff > 1e-5 {
			t.Errorf("%d CPUs: after a weight change the replicas differ by %g", cpus, diff)
		}
		p.Value.Data[0] -= 0.5
		m.Forward(x, true)
	}
	if d, _ := newDataParallel(m, n, 1); d != nil {
		t.Error("one CPU got replicas")
	}
	if d, _ := newDataParallel(m, 4, 2); d != nil {
		t.Error("a batch of 4 was split")
	}
	fast, err := nn.FastNet(16, 32)
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := newDataParallel(fast, n, 2); d != nil {
		t.Error("a network with BatchNorm was split")
	}
	if _, err := fast.Replica(); err == nil {
		t.Error("a replica of a network with BatchNorm was made")
	}
}

func maxDiff(a, b []float32) float64 {
	d := 0.0
	for i := range a {
		d = math.Max(d, math.Abs(float64(a[i]-b[i])))
	}
	return d
}

func maxAbs(a []float32) float64 {
	d := 0.0
	for _, v := range a {
		d = math.Max(d, math.Abs(float64(v)))
	}
	return d
}
