package optim

import (
	"math"
	"testing"

	"github.com/lookalike/lookalike/nn"
	"github.com/lookalike/lookalike/tensor"
)

// TestAdamMatchesFormula checks two steps against values worked out by hand
// from the update rule.
func TestAdamMatchesFormula(t *testing.T) {
	p := &nn.Param{Name: "w", Value: tensor.From([]float32{1, -2}, 2), Grad: tensor.New(2)}
	a := NewAdam([]*nn.Param{p}, 0.1)
	// Step 1: m = 0.1g, v = 0.001g²; corrected m̂ = g, v̂ = g²: the update is
	// lr*g/(|g|+eps) = ±0.1 whatever the size of g.
	copy(p.Grad.Data, []float32{0.5, -3})
	a.Step()
	if math.Abs(float64(p.Value.Data[0]-0.9)) > 1e-6 || math.Abs(float64(p.Value.Data[1]+1.9)) > 1e-6 {
		t.Fatalf("after step 1: %v, want [0.9 -1.9]", p.Value.Data)
	}
	if p.Grad.Data[0] != 0 || p.Grad.Data[1] != 0 {
		t.Fatal("Step must zero the gradients")
	}
	// Step 2 with g = 0.5 again for w0: m = 0.9*0.05+0.05 = 0.095,
	// v = 0.999*0.00025+0.00025 = 0.00049975; m̂ = 0.095/0.19 = 0.5,
	// v̂ = 0.00049975/0.001999 = 0.25; update 0.1*0.5/0.5 = 0.1.
	copy(p.Grad.Data, []float32{0.5, 0})
	a.Step()
	if math.Abs(float64(p.Value.Data[0]-0.8)) > 1e-5 {
		t.Fatalf("after step 2: w0 = %v, want 0.8", p.Value.Data[0])
	}
	// w1 got g = 0: m = 0.9*(-0.3) = -0.27, m̂ = -0.27/0.19,
	// v = 0.999*0.009 = 0.008991, v̂ = 0.008991/0.001999.
	mh, vh := -0.27/0.19, 0.008991/0.001999
	want := -1.9 - 0.1*mh/(math.Sqrt(vh)+1e-7)
	if math.Abs(float64(p.Value.Data[1])-want) > 1e-5 {
		t.Fatalf("after step 2: w1 = %v, want %v", p.Value.Data[1], want)
	}
}

func TestAdamStateRoundTrip(t *testing.T) {
	p := &nn.Param{Name: "w", Value: tensor.From([]float32{1, 2}, 2), Grad: tensor.From([]float32{1, 1}, 2)}
	a := NewAdam([]*nn.Param{p}, 0.01)
	a.Step()
	st, step := a.State()
	q := &nn.Param{Name: "w", Value: p.Value.Clone(), Grad: tensor.New(2)}
	b := NewAdam([]*nn.Param{q}, 0.01)
	if err := b.SetState(st, step); err != nil {
		t.Fatal(err)
	}
	p.Grad.Data[0], q.Grad.Data[0] = 0.3, 0.3
	a.Step()
	b.Step()
	if p.Value.Data[0] != q.Value.Data[0] || p.Value.Data[1] != q.Value.Data[1] {
		t.Fatalf("restored optimiser diverged: %v vs %v", p.Value.Data, q.Value.Data)
	}
	if err := b.SetState(map[string]*tensor.Tensor{}, 1); err == nil {
		t.Fatal("want error for missing state")
	}
}

// TestAdamUpdateScale checks that Update(1) is Step and that Update(s)
// takes the steps of Adam with learning rate s*LR.
func TestAdamUpdateScale(t *testing.T) {
	mk := func(lr float64) (*nn.Param, *Adam) {
		p := &nn.Param{Name: "w", Value: tensor.From([]float32{1, -2, 0.5}, 3), Grad: tensor.New(3)}
		return p, NewAdam([]*nn.Param{p}, lr)
	}
	p1, a1 := mk(0.1)  // Step
	p2, a2 := mk(0.1)  // Update(1)
	p3, a3 := mk(0.1)  // Update(0.5)
	p4, a4 := mk(0.05) // Step at half the rate
	p5, a5 := mk(0.1)  // Update(0)
	for s := range 4 {
		for _, p := range []*nn.Param{p1, p2, p3, p4, p5} {
			for j := range p.Grad.Data {
				p.Grad.Data[j] = float32(math.Sin(float64(s*3+j))) + p.Value.Data[j]
			}
		}
		a1.Step()
		a2.Update(1)
		a3.Update(0.5)
		a4.Step()
		a5.Update(0)
	}
	for j := range p1.Value.Data {
		if p1.Value.Data[j] != p2.Value.Data[j] {
			t.Fatalf("Update(1) %v differs from Step %v", p2.Value.Data, p1.Value.Data)
		}
		if p3.Value.Data[j] != p4.Value.Data[j] {
			t.Fatalf("Update(0.5) %v differs from Step at half the rate %v", p3.Value.Data, p4.Value.Data)
		}
	}
	if p5.Value.Data[0] != 1 || p5.Value.Data[1] != -2 || p5.Value.Data[2] != 0.5 {
		t.Fatalf("Update(0) moved the parameters: %v", p5.Value.Data)
	}
	if a3.Steps() != 4 || a5.Steps() != 4 {
		t.Fatalf("Steps %d, %d", a3.Steps(), a5.Steps())
	}
	// The first step of Adam moves each weight by about lr*scale.
	p, a := mk(0.1)
	copy(p.Grad.Data, []float32{1, -1, 3})
	a.Update(0.25)
	if d := float64(p.Value.Data[0]) - (1 - 0.025); math.Abs(d) > 1e-6 {
		t.Fatalf("first scaled step: %v", p.Value.Data)
	}
}
