package train

import (
	"math"
	"testing"

	"github.com/lookalike/lookalike/nn"
)

// TestProjectionHead trains the simclr recipe through a projection head:
// the trained model ends with the head, the saved one is the same layers
// without it (shared, so trained), embedding the normalised pooled
// features, and a checkpoint resumes with the head.
func TestProjectionHead(t *testing.T) {
	ds := orientations(24, 7)
	cfg := SimCLRConfig()
	cfg.BatchSize, cfg.Epochs, cfg.Warmup, cfg.Seed, cfg.Projection, cfg.Dim = 16, 2, 2, 3, 48, 24
	cfg.Precision = "fp32"
	tr, err := New(cfg, ds)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	layers := tr.Model.Layers
	n := len(layers)
	_, isReLU := layers[n-3].(*nn.ReLU)
	_, ok1 := layers[n-4].(*nn.Dense)
	_, ok2 := layers[n-2].(*nn.Dense)
	if !ok1 || !ok2 || !isReLU || tr.Model.Dim() != 24 {
		t.Fatalf("the trained model's head: %T %T %T, dim %d", layers[n-4], layers[n-3], layers[n-2], tr.Model.Dim())
	}
	for range 3 {
		if _, err := tr.TrainStep(); err != nil {
			t.Fatal(err)
		}
	}
	saved := tr.Saved()
	if len(saved.Layers) != n-3 || saved.Layers[0] != layers[0] || saved.Layers[n-5] != layers[n-5] {
		t.Fatalf("saved model: %d layers, want the trained %d less the head plus a normalisation", len(saved.Layers), n)
	}
	if _, ok := saved.Layers[n-4].(*nn.L2Normalize); !ok {
		t.Fatalf("saved model ends with %T", saved.Layers[n-4])
	}
	feat, err := saved.OutShape(1)
	if err != nil || saved.Dim() == 24 || saved.Dim() != feat[1] {
		t.Fatalf("saved model's dimension %d (shape %v, %v)", saved.Dim(), feat, err)
	}
	emb := saved.Embed(ds.Pixels[:2*ds.Size*ds.Size*3], 2, 2)
	var norm float64
	for _, v := range emb[:saved.Dim()] {
		norm += float64(v) * float64(v)
	}
	if math.Abs(norm-1) > 1e-4 {
		t.Errorf("saved embedding's squared norm %g", norm)
	}

	dir := t.TempDir()
	if err := tr.SaveCheckpoint(dir); err != nil {
		t.Fatal(err)
	}
	back, err := Resume(dir, ds, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer back.Close()
	if back.Saved().Dim() != saved.Dim() || back.Model.Dim() != 24 {
		t.Fatalf("resumed: saved dim %d, trained dim %d", back.Saved().Dim(), back.Model.Dim())
	}
}
