package optim

import (
	"math"
	"testing"

	"github.com/lookalike/lookalike/nn"
	"github.com/lookalike/lookalike/tensor"
)

// refSGD is a float64 transcription of the update documented on SGD.
type refSGD struct {
	momentum float64
	nesterov bool
	buf      [][]float64
}

func (r *refSGD) update(p, g [][]float64, lr, wd []float64, scale float64) {
	if r.buf == nil {
		for _, pi := range p {
			r.buf = append(r.buf, make([]float64, len(pi)))
		}
	}
	for i := range p {
		eta := lr[i] * scale
		for j := range p[i] {
			gj := g[i][j]
			var d float64
			switch {
			case r.momentum == 0:
				d = gj
			case r.nesterov:
				r.buf[i][j] = r.momentum*r.buf[i][j] + gj
				d = gj + r.momentum*r.buf[i][j]
			default:
				r.buf[i][j] = r.momentum*r.buf[i][j] + gj
				d = r.buf[i][j]
			}
			p[i][j] = p[i][j]*(1-eta*wd[i]) - eta*d
		}
	}
}

// grad returns a deterministic gradient value for step s, parameter i,
// element j.
func grad(s, i, j int) float64 {
	return math.Sin(float64(1+s*7+i*13+j*3)) * float64(1+i)
}

func TestSGDMatchesFormula(t *testing.T) {
	for _, tc := range []struct {
		name     string
		momentum float64
		nesterov bool
	}{
		{"plain", 0, false},
		{"momentum", 0.9, false},
		{"nesterov", 0.9, true},
		{"nesterov-0.5", 0.5, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newParam("w", 2, 3)
			b := newParam("b", 3)
			v := newParam("v", 4, 1)
			for i := range w.Value.Data {
				w.Value.Data[i] = float32(i) - 2.5
			}
			copy(b.Value.Data, []float32{0.5, -1, 2})
			copy(v.Value.Data, []float32{1, 1, -1, 3})
			params := []*nn.Param{w, v, b}
			groups := []Group{
				{Params: []*nn.Param{w, v}, LR: 0.1, WeightDecay: 0.05},
				{Params: []*nn.Param{b}, LR: 0.3},
			}
			lr := []float64{0.1, 0.1, 0.3}
			wd := []float64{0.05, 0.05, 0}
			s, err := NewSGD(groups, tc.momentum, tc.nesterov)
			if err != nil {
				t.Fatal(err)
			}
			ref := &refSGD{momentum: tc.momentum, nesterov: tc.nesterov}
			rp := make([][]float64, len(params))
			for i, p := range params {
				for _, x := range p.Value.Data {
					rp[i] = append(rp[i], float64(x))
				}
			}
			for step, scale := range []float64{1, 0.5, 1, 2, 0.25, 0} {
				rg := make([][]float64, len(params))
				for i, p := range params {
					for j := range p.Grad.Data {
						g := grad(step, i, j)
						p.Grad.Data[j] = float32(g)
						rg[i] = append(rg[i], float64(float32(g)))
					}
				}
				s.Update(scale)
				ref.update(rp, rg, lr, wd, scale)
				for i, p := range params {
					for j, x := range p.Value.Data {
						if d := math.Abs(float64(x) - rp[i][j]); d > 1e-5*(1+math.Abs(rp[i][j])) {
							t.Fatalf("step %d: %s[%d] = %v, want %v", step, p.Name, j, x, rp[i][j])
						}
					}
					for _, g := range p.Grad.Data {
						if g != 0 {
							t.Fatalf("step %d: %s gradient not zeroed", step, p.Name)
						}
					}
				}
			}
			if s.Steps() != 6 {
				t.Errorf("Steps %d, want 6", s.Steps())
			}
		})
	}
}

// TestSGDFirstStep checks the first step by hand: buf = g, so with
// momentum the step is lr*g, and with Nesterov lr*(1+momentum)*g.
func TestSGDFirstStep(t *testing.T) {
	for _, nesterov := range []bool{false, true} {
		p := &nn.Param{Name: "w", Value: tensor.From([]float32{1}, 1), Grad: tensor.From([]float32{2}, 1)}
		s, err := NewSGD([]Group{{Params: []*nn.Param{p}, LR: 0.1, WeightDecay: 0.5}}, 0.9, nesterov)
		if err != nil {
			t.Fatal(err)
		}
		s.Update(1)
		// p = 1*(1 - 0.1*0.5) - 0.1*g' with g' = 2 or 2 + 0.9*2.
		want := 0.95 - 0.2
		if nesterov {
			want = 0.95 - 0.38
		}
		if math.Abs(float64(p.Value.Data[0])-want) > 1e-6 {
			t.Errorf("nesterov %v: w = %v, want %v", nesterov, p.Value.Data[0], want)
		}
	}
}

func TestSGDStateRoundTrip(t *testing.T) {
	mk := func() ([]*nn.Param, *SGD) {
		a, b := newParam("a", 2, 2), newParam("b", 2)
		copy(a.Value.Data, []float32{1, 2, 3, 4})
		copy(b.Value.Data, []float32{-1, 1})
		s, err := NewSGD([]Group{{Params: []*nn.Param{a}, LR: 0.1, WeightDecay: 0.01}, {Params: []*nn.Param{b}, LR: 0.2}}, 0.9, true)
		if err != nil {
			t.Fatal(err)
		}
		return []*nn.Param{a, b}, s
	}
	setGrads := func(ps []*nn.Param, step int) {
		for i, p := range ps {
			for j := range p.Grad.Data {
				p.Grad.Data[j] = float32(grad(step, i, j))
			}
		}
	}
	pa, sa := mk()
	for step := range 3 {
		setGrads(pa, step)
		sa.Update(1)
	}
	st, n := sa.State()
	if n != 3 || len(st) != 2 || st["sgd.buf.0"] == nil || st["sgd.buf.1"] == nil {
		t.Fatalf("State: %d tensors %v, step %d", len(st), st, n)
	}
	pb, sb := mk()
	for i := range pb {
		copy(pb[i].Value.Data, pa[i].Value.Data)
	}
	// Extra names in the map, as in a checkpoint, are ignored.
	st["model.x"] = tensor.New(7)
	if err := sb.SetState(st, n); err != nil {
		t.Fatal(err)
	}
	if sb.Steps() != 3 {
		t.Fatalf("restored Steps %d", sb.Steps())
	}
	for step := 3; step < 6; step++ {
		setGrads(pa, step)
		setGrads(pb, step)
		sa.Update(0.5)
		sb.Update(0.5)
	}
	for i := range pa {
		for j := range pa[i].Value.Data {
			if pa[i].Value.Data[j] != pb[i].Value.Data[j] {
				t.Fatalf("restored optimiser diverged: %v vs %v", pa[i].Value.Data, pb[i].Value.Data)
			}
		}
	}

	// A failed restore changes nothing.
	_, sc := mk()
	before, _ := sc.State()
	bad := map[string]*tensor.Tensor{"sgd.buf.0": tensor.From([]float32{9, 9, 9, 9}, 2, 2), "sgd.buf.1": tensor.New(3)}
	if err := sc.SetState(bad, 4); err == nil {
		t.Fatal("want error for a misshapen tensor")
	}
	delete(bad, "sgd.buf.1")
	if err := sc.SetState(bad, 4); err == nil {
		t.Fatal("want error for a missing tensor")
	}
	if sc.Steps() != 0 || before["sgd.buf.0"].Data[0] != 0 {
		t.Fatal("failed SetState changed the optimiser")
	}
	good, _ := sa.State()
	if err := sc.SetState(good, -1); err == nil {
		t.Fatal("want error for a negative step")
	}

	// Without momentum there is no state but the step count.
	p := newParam("w", 2)
	s, err := NewSGD([]Group{{Params: []*nn.Param{p}, LR: 1}}, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := s.State(); len(st) != 0 {
		t.Errorf("momentum 0: %d state tensors", len(st))
	}
	if err := s.SetState(nil, 5); err != nil || s.Steps() != 5 {
		t.Errorf("momentum 0 SetState: %v, Steps %d", err, s.Steps())
	}
}

func TestSGDRejectsInvalidSettings(t *testing.T) {
	p, q := newParam("p", 2), newParam("q", 3)
	ok := []Group{{Params: []*nn.Param{p}, LR: 0.1}}
	misshapen := &nn.Param{Name: "m", Value: tensor.New(2), Grad: tensor.New(3)}
	for _, tc := range []struct {
		name     string
		groups   []Group
		momentum float64
		nesterov bool
	}{
		{"negative momentum", ok, -0.1, false},
		{"momentum 1", ok, 1, false},
		{"momentum NaN", ok, math.NaN(), false},
		{"nesterov without momentum", ok, 0, true},
		{"negative lr", []Group{{Params: []*nn.Param{p}, LR: -1}}, 0.9, false},
		{"NaN lr", []Group{{Params: []*nn.Param{p}, LR: math.NaN()}}, 0.9, false},
		{"infinite lr", []Group{{Params: []*nn.Param{p}, LR: math.Inf(1)}}, 0.9, false},
		{"negative decay", []Group{{Params: []*nn.Param{p}, LR: 1, WeightDecay: -1e-4}}, 0.9, false},
		{"NaN decay", []Group{{Params: []*nn.Param{p}, LR: 1, WeightDecay: math.NaN()}}, 0.9, false},
		{"nil param", []Group{{Params: []*nn.Param{nil}, LR: 1}}, 0.9, false},
		{"no gradient", []Group{{Params: []*nn.Param{{Name: "x", Value: tensor.New(1)}}, LR: 1}}, 0.9, false},
		{"gradient shape", []Group{{Params: []*nn.Param{misshapen}, LR: 1}}, 0.9, false},
		{"duplicate in group", []Group{{Params: []*nn.Param{p, q, p}, LR: 1}}, 0.9, false},
		{"duplicate across groups", []Group{{Params: []*nn.Param{p}, LR: 1}, {Params: []*nn.Param{q, p}, LR: 1}}, 0.9, false},
		{"no groups", nil, 0.9, false},
		{"empty groups", []Group{{LR: 1}, {LR: 2}}, 0.9, false},
	} {
		if _, err := NewSGD(tc.groups, tc.momentum, tc.nesterov); err == nil {
			t.Errorf("%s: want error", tc.name)
		}
	}
	if _, err := NewSGD([]Group{{Params: []*nn.Param{p}, LR: 0}, {LR: 1}}, 0, false); err != nil {
		t.Errorf("zero lr and an empty group: %v", err)
	}
}
