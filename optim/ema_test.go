package optim

import (
	"math"
	"testing"

	"github.com/lookalike/lookalike/tensor"
)

func TestEMAMatchesFormula(t *testing.T) {
	w := tensor.From([]float32{1, -2, 3, 0}, 2, 2)
	mean := tensor.From([]float32{0.5, 0.25}, 2) // e.g. BatchNorm running mean
	e := NewEMA([]*tensor.Tensor{w, mean}, 0.9)
	w.Data[0] = 100 // NewEMA copied the values
	if e.Averages()[0].Data[0] != 1 {
		t.Fatal("NewEMA must copy the current values")
	}
	ref := [][]float64{{1, -2, 3, 0}, {0.5, 0.25}}
	src := []*tensor.Tensor{w, mean}
	for step, decay := range []float64{0.9, 0.9, 0.5, 0.9, 1, 0} {
		for i, s := range src {
			for j := range s.Data {
				s.Data[j] = float32(math.Cos(float64(step*5 + i*3 + j)))
			}
		}
		if step < 2 {
			e.Update()
		} else {
			e.UpdateWith(decay)
		}
		for i, s := range src {
			for j := range ref[i] {
				ref[i][j] = decay*ref[i][j] + (1-decay)*float64(s.Data[j])
				if got := float64(e.Averages()[i].Data[j]); math.Abs(got-ref[i][j]) > 1e-6 {
					t.Fatalf("update %d (decay %v): avg[%d][%d] = %v, want %v", step, decay, i, j, got, ref[i][j])
				}
			}
		}
	}
	if e.Updates() != 6 {
		t.Errorf("Updates %d, want 6", e.Updates())
	}
	// Decay 0 sets the averages to the values exactly.
	for i, s := range src {
		for j, v := range s.Data {
			if e.Averages()[i].Data[j] != v {
				t.Fatalf("decay 0: avg[%d] = %v, want %v", i, e.Averages()[i].Data, s.Data)
			}
		}
	}
}

func TestEMASwapAndCopyTo(t *testing.T) {
	w := tensor.From([]float32{1, 2}, 2)
	e := NewEMA([]*tensor.Tensor{w}, 0.5)
	copy(w.Data, []float32{3, 4})
	e.Update() // avg = [2 3]
	e.Swap()
	if w.Data[0] != 2 || w.Data[1] != 3 || e.Averages()[0].Data[0] != 3 || e.Averages()[0].Data[1] != 4 {
		t.Fatalf("after Swap: w %v avg %v", w.Data, e.Averages()[0].Data)
	}
	e.Swap()
	if w.Data[0] != 3 || w.Data[1] != 4 || e.Averages()[0].Data[0] != 2 {
		t.Fatalf("after second Swap: w %v avg %v", w.Data, e.Averages()[0].Data)
	}
	other := tensor.New(2)
	e.CopyTo([]*tensor.Tensor{other})
	if other.Data[0] != 2 || other.Data[1] != 3 {
		t.Fatalf("CopyTo: %v", other.Data)
	}
	// Lookahead: the model continues from the average.
	e.UpdateWith(0.5) // avg = [2.5 3.5]
	e.CopyTo([]*tensor.Tensor{w})
	if w.Data[0] != 2.5 || w.Data[1] != 3.5 {
		t.Fatalf("lookahead: w %v", w.Data)
	}
	for _, dst := range [][]*tensor.Tensor{{}, {tensor.New(3)}, {tensor.New(1, 2)}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("CopyTo(%v): want panic", dst)
				}
			}()
			e.CopyTo(dst)
		}()
	}
}

func TestEMAStateRoundTrip(t *testing.T) {
	a, b := tensor.From([]float32{1, 2}, 2), tensor.From([]float32{3}, 1)
	e := NewEMA([]*tensor.Tensor{a, b}, 0.9)
	a.Data[0], b.Data[0] = 5, 7
	e.Update()
	st, n := e.State()
	if n != 1 || len(st) != 2 || st["ema.0"] != e.Averages()[0] || st["ema.1"] != e.Averages()[1] {
		t.Fatalf("State: %v, %d", st, n)
	}
	a2, b2 := a.Clone(), b.Clone()
	f := NewEMA([]*tensor.Tensor{a2, b2}, 0.9)
	st["adam.m.0"] = tensor.New(4) // other state is ignored
	if err := f.SetState(st, n); err != nil {
		t.Fatal(err)
	}
	a.Data[1], a2.Data[1] = -1, -1
	e.Update()
	f.Update()
	for i := range e.Averages() {
		for j, v := range e.Averages()[i].Data {
			if f.Averages()[i].Data[j] != v {
				t.Fatalf("restored EMA diverged: %v vs %v", f.Averages()[i].Data, e.Averages()[i].Data)
			}
		}
	}
	if f.Updates() != 2 {
		t.Errorf("restored Updates %d, want 2", f.Updates())
	}
	g := NewEMA([]*tensor.Tensor{a.Clone(), b.Clone()}, 0.9)
	before := g.Averages()[0].Data[0]
	bad := map[string]*tensor.Tensor{"ema.0": tensor.From([]float32{9, 9}, 2), "ema.1": tensor.New(2)}
	if err := g.SetState(bad, 3); err == nil {
		t.Fatal("want error for a misshapen tensor")
	}
	delete(bad, "ema.1")
	if err := g.SetState(bad, 3); err == nil {
		t.Fatal("want error for a missing tensor")
	}
	if g.Averages()[0].Data[0] != before || g.Updates() != 0 {
		t.Fatal("failed SetState changed the EMA")
	}
}
