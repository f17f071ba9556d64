package nn_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/lookalike/lookalike/data"
	"github.com/lookalike/lookalike/train"
)

// TestTrainResNetSmall runs a few training steps of resnet-small through
// the trainer, then checks that a checkpoint resumes with the same weights
// and running statistics.
func TestTrainResNetSmall(t *testing.T) {
	rng := rand.New(rand.NewPCG(51, 52))
	ds := &data.Dataset{Size: 32}
	for c := range 3 {
		ds.Classes = append(ds.Classes, string(rune('a'+c)))
		for range 2 {
			for range 32 * 32 {
				for ch := range 3 {
					ds.Pixels = append(ds.Pixels, uint8(60*((c+ch)%3)+rng.IntN(80)))
				}
			}
			ds.Labels = append(ds.Labels, c)
			ds.Paths = append(ds.Paths, "toy")
		}
	}
	cfg := train.DefaultConfig()
	cfg.Model, cfg.Epochs, cfg.Steps = "resnet-small", 1, 2
	tr, err := train.New(cfg, ds)
	if err != nil {
		t.Fatal(err)
	}
	for step := range 2 {
		l, err := tr.TrainStep()
		if err != nil {
			t.Fatal(err)
		}
		if math.IsNaN(float64(l)) || l <= 0 {
			t.Fatalf("step %d: loss %v", step+1, l)
		}
		t.Logf("step %d: loss %.4f", step+1, l)
	}
	names, state := tr.Model.State()
	if state[0].Value.Data[0] == 0 {
		t.Errorf("%s did not move in training", names[0])
	}

	dir := t.TempDir()
	if err := tr.SaveCheckpoint(dir); err != nil {
		t.Fatal(err)
	}
	back, err := train.Resume(dir, ds, 0)
	if err != nil {
		t.Fatal(err)
	}
	want, got := tr.Model.StateDict(), back.Model.StateDict()
	if len(got) != len(want) {
		t.Fatalf("resumed model has %d tensors, want %d", len(got), len(want))
	}
	for name, w := range want {
		g := got[name]
		for i := range w.Data {
			if g.Data[i] != w.Data[i] {
				t.Fatalf("resumed %s[%d] = %v, want %v", name, i, g.Data[i], w.Data[i])
			}
		}
	}
	a := tr.Model.Embed(ds.Pixels, ds.Len(), 4)
	b := back.Model.Embed(ds.Pixels, ds.Len(), 4)
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("embedding %d differs after resuming: %v vs %v", i, a[i], b[i])
		}
	}
	if back.Model.Dim() != cfg.Dim || back.Model.Name != "resnet-small" {
		t.Fatalf("dim %d", back.Model.Dim())
	}
}
