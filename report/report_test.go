package report

import (
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lookalike/lookalike/data"
	"github.com/lookalike/lookalike/nn"
	"github.com/lookalike/lookalike/train"
)

func tinyData(classes, per int) *data.Dataset {
	ds := &data.Dataset{Size: 32}
	for c := range classes {
		ds.Classes = append(ds.Classes, string(rune('a'+c)))
		for i := range per {
			for p := 0; p < 32*32*3; p++ {
				ds.Pixels = append(ds.Pixels, uint8(c*70+i*5+p%7))
			}
			ds.Labels = append(ds.Labels, c)
			ds.Paths = append(ds.Paths, "x")
		}
	}
	return ds
}

func TestGrids(t *testing.T) {
	ds := tinyData(3, 2)
	rng := rand.New(rand.NewPCG(1, 2))
	g, err := SampleGrid(ds, 2, 4, rng)
	if err != nil {
		t.Fatal(err)
	}
	if b := g.Bounds(); b.Dx() != 4*64+5 || b.Dy() != 2*64+3 {
		t.Fatalf("grid is %v", b)
	}
	if _, err := SampleGrid(ds, 0, 4, rng); err == nil {
		t.Fatal("zero rows: want error")
	}
	if _, err := SampleGrid(&data.Dataset{Size: 32}, 2, 2, rng); err == nil {
		t.Fatal("empty dataset: want error")
	}
	p, err := PairsGrid(ds, 1)
	if err != nil {
		t.Fatal(err)
	}
	if b := p.Bounds(); b.Dx() != 3*64+4 || b.Dy() != 2*64+3 {
		t.Fatalf("pairs grid is %v", b)
	}
	if _, err := PairsGrid(tinyData(2, 1), 1); err == nil {
		t.Fatal("one image per class: want error")
	}
}

func TestTrainingCurves(t *testing.T) {
	dir := t.TempDir()
	h := []train.Record{{Step: 1, Epoch: 1, Loss: 2.5}, {Step: 2, Epoch: 1, Loss: 2}, {Step: 3, Epoch: 2, Loss: 1.5}}
	if err := TrainingCurves(dir, h, 2, nil); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "loss.csv"))
	if string(b) != "step,epoch,loss\n1,1,2.500000\n2,1,2.000000\n3,2,1.500000\n" {
		t.Fatalf("loss.csv = %q", b)
	}
	if _, err := os.Stat(filepath.Join(dir, "loss.png")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "validation.csv")); !os.IsNotExist(err) {
		t.Fatalf("validation.csv without validation: %v", err)
	}

	// With validation: validation.csv and a taller loss.png with its panel.
	val := []train.ValRecord{{Epoch: 0, PrecisionAt1: 0.25}, {Epoch: 1, Step: 2, Seconds: 61.25, PrecisionAt1: 0.5}, {Epoch: 2, Step: 3, Seconds: 90, PrecisionAt1: 0.75}}
	if err := TrainingCurves(dir, h, 2, val); err != nil {
		t.Fatal(err)
	}
	b, _ = os.ReadFile(filepath.Join(dir, "validation.csv"))
	if string(b) != "epoch,step,seconds,precision_at_1\n0,0,0.0,0.250000\n1,2,61.2,0.500000\n2,3,90.0,0.750000\n" {
		t.Fatalf("validation.csv = %q", b)
	}
	if _, err := os.Stat(filepath.Join(dir, "validation.png")); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(dir, "loss.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg, err := png.DecodeConfig(f)
	if err != nil || cfg.Height != 760 {
		t.Fatalf("loss.png with validation: %v, %dx%d", err, cfg.Width, cfg.Height)
	}
}

func TestEvaluate(t *testing.T) {
	m, _ := nn.KerasSmall(4)
	m.Init(rand.New(rand.NewPCG(3, 3)))
	dir := t.TempDir()
	ds := tinyData(3, 4)
	ev, err := Evaluate(m, &nn.Info{Name: m.Name, Fingerprint: "abc"}, ds, "tiny", dir, EvalOptions{Queries: 2, Neighbors: 3})
	if err != nil {
		t.Fatal(err)
	}
	if ev.Metrics.Queries != 12 || len(ev.Confusion) != 3 {
		t.Fatalf("evaluation %+v", ev)
	}
	md, _ := os.ReadFile(filepath.Join(dir, ReportFile))
	for _, want := range []string{"MAP@R", NeighboursFile, ConfusionFile, "12 images in 3 classes"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("report.md lacks %q:\n%s", want, md)
		}
	}
	if _, err := Evaluate(m, &nn.Info{}, tinyData(1, 1), "one", dir, EvalOptions{}); err == nil {
		t.Fatal("one image: want error")
	}
}
