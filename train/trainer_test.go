package train

import (
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lookalike/lookalike/data"
)

// toyData makes classes of 32x32 images that differ by colour and
// stripe direction, with noise, so a few dozen steps separate them.
func toyData(classes, perClass int, seed uint64) *data.Dataset {
	rng := rand.New(rand.NewPCG(seed, 1))
	ds := &data.Dataset{Size: 32}
	for c := 0; c < classes; c++ {
		ds.Classes = append(ds.Classes, string(rune('a'+c)))
		for i := 0; i < perClass; i++ {
			for y := 0; y < 32; y++ {
				for x := 0; x < 32; x++ {
					stripe := (x+c*y)%8 < 4
					for ch := 0; ch < 3; ch++ {
						v := 40 + 50*((c+ch)%3) + rng.IntN(40)
						if stripe {
							v += 60
						}
						ds.Pixels = append(ds.Pixels, uint8(v))
					}
				}
			}
			ds.Labels = append(ds.Labels, c)
			ds.Paths = append(ds.Paths, "toy")
		}
	}
	return ds
}

func testConfig() Config {
	cfg := DefaultConfig()
	cfg.Epochs, cfg.Steps, cfg.Seed = 2, 15, 42
	return cfg
}

func TestTrainingLowersLoss(t *testing.T) {
	tr, err := New(testConfig(), toyData(4, 6, 1))
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Run(context.Background(), "", nil, nil); err != nil {
		t.Fatal(err)
	}
	h := tr.History
	if len(h) != 30 {
		t.Fatalf("%d records, want 30", len(h))
	}
	first, last := mean(h[:5]), mean(h[len(h)-5:])
	if !(last < first) {
		t.Fatalf("loss did not fall: first %v, last %v", first, last)
	}
}

func mean(rs []Record) float64 {
	var s float64
	for _, r := range rs {
		s += float64(r.Loss)
	}
	return s / float64(len(rs))
}

// TestDeterministicAndResumable checks that a seed fixes the result and that
// stopping at a checkpoint and resuming gives exactly the same weights as an
// uninterrupted run.
func TestDeterministicAndResumable(t *testing.T) {
	ds := toyData(3, 5, 2)
	straight, _ := New(testConfig(), ds)
	if err := straight.Run(context.Background(), "", nil, nil); err != nil {
		t.Fatal(err)
	}
	again, _ := New(testConfig(), ds)
	again.Run(context.Background(), "", nil, nil)
	if !sameWeights(straight, again) {
		t.Fatal("two runs with one seed differ")
	}

	// Interrupt after 7 steps, then resume.
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	first, _ := New(testConfig(), ds)
	err := first.Run(ctx, dir, func(s Status) {
		if s.Step == 7 {
			cancel()
		}
	}, nil)
	if !errors.Is(err, ErrInterrupted) {
		t.Fatalf("err = %v, want ErrInterrupted", err)
	}
	if !HasCheckpoint(dir) {
		t.Fatal("no checkpoint after interruption")
	}
	resumed, err := Resume(dir, ds, 0)
	if err != nil {
		t.Fatal(err)
	}
	if resumed.Step() != 7 || len(resumed.History) != 7 {
		t.Fatalf("resumed at step %d with %d records, want 7", resumed.Step(), len(resumed.History))
	}
	if err := resumed.Run(context.Background(), dir, nil, nil); err != nil {
		t.Fatal(err)
	}
	if !sameWeights(straight, resumed) {
		t.Fatal("interrupted and resumed run differs from a straight run")
	}
	for i, r := range resumed.History {
		if r != straight.History[i] {
			t.Fatalf("history[%d] = %+v, want %+v", i, r, straight.History[i])
		}
	}

	// Another dataset's classes are refused.
	if _, err := Resume(dir, toyData(4, 5, 2), 0); err == nil {
		t.Fatal("resume with other classes: want error")
	}
}

func sameWeights(a, b *Trainer) bool {
	pa, pb := a.Model.Params(), b.Model.Params()
	for i := range pa {
		for j := range pa[i].Value.Data {
			if pa[i].Value.Data[j] != pb[i].Value.Data[j] {
				return false
			}
		}
	}
	return true
}

func TestConfigValidate(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Model, cfg.LR = "nope", -1
	if err := cfg.Validate(); err == nil {
		t.Fatal("want error")
	}
	if _, err := New(DefaultConfig(), toyData(2, 1, 1)); err == nil || !strings.Contains(err.Error(), `class "a" has 1 images`) {
		t.Fatalf("one image per class: %v", err)
	}
}

// TestCheckpointFiles checks that a checkpoint keeps one weights file, that
// a leftover of an interrupted save is ignored and removed, and that
// resuming on another number of images is refused.
func TestCheckpointFiles(t *testing.T) {
	ds := toyData(3, 5, 2)
	tr, _ := New(testConfig(), ds)
	dir := t.TempDir()
	for range 2 {
		if _, err := tr.TrainStep(); err != nil {
			t.Fatal(err)
		}
		if err := tr.SaveCheckpoint(dir); err != nil {
			t.Fatal(err)
		}
	}
	// A save killed after writing its tensors, before checkpoint.json.
	os.WriteFile(filepath.Join(dir, "checkpoint-step9.safetensors"), []byte("partial"), 0o644)
	if _, err := Resume(dir, ds, 0); err != nil {
		t.Fatalf("resume beside a partial save: %v", err)
	}
	if _, err := tr.TrainStep(); err != nil {
		t.Fatal(err)
	}
	if err := tr.SaveCheckpoint(dir); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.safetensors"))
	if len(files) != 1 {
		t.Fatalf("weights files after three saves: %v", files)
	}
	if _, err := Resume(dir, toyData(3, 6, 2), 0); err == nil || !strings.Contains(err.Error(), "images") {
		t.Fatalf("resume on more images: %v", err)
	}
}
