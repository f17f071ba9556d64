package train

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lookalike/lookalike/nn"
)

// TestFineTuneFrozen trains a model, saves it, and fine-tunes it with
// --init: the frozen first layers (and the BatchNorm statistics among
// them) stay bit for bit, the others train, and precision@1 on held-out
// images improves over the starting model; a new projection head has the
// dimension asked for.
func TestFineTuneFrozen(t *testing.T) {
	ds, test := orientations(16, 3), orientations(10, 4)
	cfg := tinyFast()
	cfg.Epochs = 1
	start, err := New(cfg, ds)
	if err != nil {
		t.Fatal(err)
	}
	if err := start.Run(context.Background(), "", nil, nil); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "start")
	if err := nn.Save(dir, start.Model, ds.Classes, nil); err != nil {
		t.Fatal(err)
	}
	before := precisionAt1(t, start.Model, test)

	ft := tinyFast()
	ft.Init, ft.Model, ft.Size, ft.Dim, ft.Freeze = dir, "", 0, 0, 4
	ft.Epochs, ft.Seed, ft.LR = 8, 9, cfg.LR/4 // a gentler rate, as fine-tuning takes
	tr, err := New(ft, ds)
	if err != nil {
		t.Fatal(err)
	}
	if tr.Model.Dim() != start.Model.Dim() || tr.Model.Frozen != 4 {
		t.Fatalf("fine-tuned model: dim %d, %d frozen layers", tr.Model.Dim(), tr.Model.Frozen)
	}
	frozen := func(m *nn.Model) [][]float32 {
		var out [][]float32
		for _, l := range m.Layers[:4] {
			for _, p := range l.Params() {
				out = append(out, slices.Clone(p.Value.Data))
			}
			if s, ok := l.(nn.Stateful); ok {
				for _, p := range s.State() {
					out = append(out, slices.Clone(p.Value.Data))
				}
			}
		}
		return out
	}
	was := frozen(tr.Model)
	if len(was) == 0 {
		t.Fatal("nothing frozen: the test checks nothing")
	}
	trainable := slices.Clone(tr.Model.TrainableParams()[0].Value.Data)
	if err := tr.Run(context.Background(), "", nil, nil); err != nil {
		t.Fatal(err)
	}
	for i, w := range frozen(tr.Model) {
		if !slices.Equal(w, was[i]) {
			t.Fatalf("frozen tensor %d changed", i)
		}
	}
	if slices.Equal(trainable, tr.Model.TrainableParams()[0].Value.Data) {
		t.Fatal("the first trainable layer did not change")
	}
	after := precisionAt1(t, tr.Model, test)
	t.Logf("precision@1 %.3f from the starting model, %.3f fine-tuned", before, after)
	if after <= before {
		t.Errorf("fine-tuning did not help: %.3f -> %.3f", before, after)
	}

	// A new head of another dimension.
	head := ft
	head.Dim, head.Epochs = 24, 1
	if tr, err = New(head, ds); err != nil {
		t.Fatal(err)
	}
	if _, dense := tr.Model.Layers[len(tr.Model.Layers)-2].(*nn.Dense); tr.Model.Dim() != 24 || !dense {
		t.Fatalf("a new head: dim %d, layers %v", tr.Model.Dim(), tr.Model.Specs())
	}
	if err := tr.Run(context.Background(), "", nil, nil); err != nil {
		t.Fatal(err)
	}

	// A wrong size is a clear error.
	bad := ft
	bad.Size = 40
	if _, err := New(bad, ds); err == nil || !strings.Contains(err.Error(), "takes 32x32") {
		t.Errorf("fine-tuning a 32-pixel model at 40: %v", err)
	}
}

// TestFineTuneFrozenBatchNorm fine-tunes with FreezeBN: every BatchNorm's
// running statistics, inside blocks too, stay bit for bit while the
// network trains.
func TestFineTuneFrozenBatchNorm(t *testing.T) {
	ds := orientations(8, 5)
	cfg := tinyFast()
	cfg.Epochs = 1
	start, err := New(cfg, ds)
	if err != nil {
		t.Fatal(err)
	}
	if err := start.Run(context.Background(), "", nil, nil); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "start")
	if err := nn.Save(dir, start.Model, ds.Classes, nil); err != nil {
		t.Fatal(err)
	}
	ft := tinyFast()
	ft.Init, ft.Model, ft.Size, ft.Dim, ft.FreezeBN, ft.Epochs = dir, "", 0, 0, true, 6 // past the lookahead's first average
	tr, err := New(ft, ds)
	if err != nil {
		t.Fatal(err)
	}
	_, state := tr.Model.State()
	if len(state) == 0 {
		t.Fatal("no BatchNorm statistics: the test checks nothing")
	}
	var was [][]float32
	for _, p := range state {
		was = append(was, slices.Clone(p.Value.Data))
	}
	mid := tr.Model.Params()[len(tr.Model.Params())/2]
	w0 := slices.Clone(mid.Value.Data)
	if err := tr.Run(context.Background(), "", nil, nil); err != nil {
		t.Fatal(err)
	}
	for i, p := range state {
		if !slices.Equal(p.Value.Data, was[i]) {
			t.Fatalf("BatchNorm statistics %d changed", i)
		}
	}
	if slices.Equal(w0, mid.Value.Data) {
		t.Fatal("the network did not train")
	}
}
