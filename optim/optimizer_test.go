package optim

import (
	"slices"
	"testing"

	"github.com/lookalike/lookalike/nn"
	"github.com/lookalike/lookalike/tensor"
)

func newParam(name string, shape ...int) *nn.Param {
	return &nn.Param{Name: name, Value: tensor.New(shape...), Grad: tensor.New(shape...)}
}

func names(ps []*nn.Param) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Name)
	}
	return out
}

func TestSplitDecay(t *testing.T) {
	params := []*nn.Param{
		newParam("conv.kernel", 3, 3, 1, 4),
		newParam("conv.bias", 4),
		newParam("bn.gamma", 4),
		newParam("bn.beta", 4),
		newParam("dense.kernel", 4, 2),
		newParam("scale"),
		newParam("dense.bias", 2),
	}
	gs := SplitDecay(params, 0.1, 5e-4, 0.2, 0)
	if len(gs) != 2 {
		t.Fatalf("%d groups, want 2", len(gs))
	}
	if got, want := names(gs[0].Params), []string{"conv.kernel", "dense.kernel"}; !slices.Equal(got, want) {
		t.Errorf("decay group %v, want %v", got, want)
	}
	if got, want := names(gs[1].Params), []string{"conv.bias", "bn.gamma", "bn.beta", "scale", "dense.bias"}; !slices.Equal(got, want) {
		t.Errorf("other group %v, want %v", got, want)
	}
	if gs[0].LR != 0.1 || gs[0].WeightDecay != 5e-4 || gs[1].LR != 0.2 || gs[1].WeightDecay != 0 {
		t.Errorf("settings %+v %+v", gs[0], gs[1])
	}
	if gs := SplitDecay(params[1:2], 1, 1, 1, 0); len(gs) != 2 || len(gs[0].Params) != 0 || len(gs[1].Params) != 1 {
		t.Errorf("biases only: %+v", gs)
	}
}

// TestOptimizersDescend runs each optimiser through the interface on
// f(w) = |w - c|²/2 and checks that it gets close to c.
func TestOptimizersDescend(t *testing.T) {
	c := []float32{1, -2, 0.5}
	mk := map[string]func(p *nn.Param) Optimizer{
		"adam": func(p *nn.Param) Optimizer { return NewAdam([]*nn.Param{p}, 0.05) },
		"sgd": func(p *nn.Param) Optimizer {
			s, err := NewSGD([]Group{{Params: []*nn.Param{p}, LR: 0.1}}, 0.9, false)
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
		"nesterov": func(p *nn.Param) Optimizer {
			s, err := NewSGD([]Group{{Params: []*nn.Param{p}, LR: 0.1}}, 0.9, true)
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
	}
	for name, f := range mk {
		p := newParam("w", 3)
		opt := f(p)
		sched := WarmupDecay{Warmup: 10, Final: 0.01, Cosine: true}
		const total = 300
		for s := range total {
			for i := range c {
				p.Grad.Data[i] = p.Value.Data[i] - c[i]
			}
			opt.Update(sched.Factor(s, total))
		}
		if opt.Steps() != total {
			t.Errorf("%s: Steps %d, want %d", name, opt.Steps(), total)
		}
		for i := range c {
			if d := p.Value.Data[i] - c[i]; d > 1e-2 || d < -1e-2 {
				t.Errorf("%s: w = %v, want near %v", name, p.Value.Data, c)
				break
			}
		}
	}
}
