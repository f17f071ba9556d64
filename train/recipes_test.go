package train

import (
	"context"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/lookalike/lookalike/data"
	"github.com/lookalike/lookalike/eval"
	"github.com/lookalike/lookalike/nn"
)

func TestRecipes(t *testing.T) {
	for _, name := range RecipeNames() {
		cfg, err := LookupRecipe(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("recipe %s: %v", name, err)
		}
		if cfg.Recipe != name || !strings.Contains(RecipeHelp(), name) {
			t.Fatalf("recipe %s is called %q or missing from the help", name, cfg.Recipe)
		}
	}
	if ex, _ := LookupRecipe("keras-example"); ex != DefaultConfig() {
		t.Fatal("keras-example is not the default configuration")
	}
	if _, err := LookupRecipe("nope"); err == nil {
		t.Fatal("unknown recipe: want error")
	}
	bad := FastConfig()
	bad.Sampler, bad.Loss = "pairs", "supcon"
	if err := bad.Validate(); err == nil {
		t.Fatal("pairs sampler with supcon: want error")
	}
}

// tinyFast is the fast recipe shrunk to a few steps on the toy data.
func tinyFast() Config {
	cfg := FastConfig()
	cfg.Epochs, cfg.BatchSize, cfg.Seed = 8, 16, 5
	return cfg
}

// precisionAt1 embeds ds with m and returns the leave-one-out precision@1.
func precisionAt1(t *testing.T, m *nn.Model, ds *data.Dataset) float64 {
	t.Helper()
	emb := m.Embed(ds.Pixels, ds.Len(), 64)
	mt, err := eval.Retrieval(emb, m.Dim(), ds.Labels, eval.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return mt.PrecisionAt1
}

// orientations makes classes that differ only by the direction of faint
// stripes, on images of random colours with noise: colour, which an
// untrained network sees first, says nothing about the class.
func orientations(perClass int, seed uint64) *data.Dataset {
	rng := rand.New(rand.NewPCG(seed, 9))
	ds := &data.Dataset{Size: 32, Classes: []string{"h", "v", "d", "a"}}
	for c := range 4 {
		for range perClass {
			base := [3]int{rng.IntN(200), rng.IntN(200), rng.IntN(200)}
			phase := rng.IntN(8)
			for y := range 32 {
				for x := range 32 {
					var u int
					switch c {
					case 0:
						u = y
					case 1:
						u = x
					case 2:
						u = x + y
					case 3:
						u = x - y + 64
					}
					stripe := ((u+phase)/2)%2 == 0
					for ch := range 3 {
						v := base[ch] + rng.IntN(30)
						if stripe {
							v += 25
						}
						ds.Pixels = append(ds.Pixels, uint8(min(v, 255)))
					}
				}
			}
			ds.Labels = append(ds.Labels, c)
			ds.Paths = append(ds.Paths, "toy")
		}
	}
	return ds
}

// TestFastRecipeLearns runs the fast recipe briefly on synthetic classes:
// precision@1 must beat the untrained model's.
// It does so in float32 and in bfloat16 (float32 on CPUs without it).
func TestFastRecipeLearns(t *testing.T) {
	for _, prec := range []string{"fp32", "bf16"} {
		t.Run(prec, func(t *testing.T) {
			ds := orientations(16, 3)
			test := orientations(10, 4)
			cfg := tinyFast()
			cfg.Precision = prec
			tr, err := New(cfg, ds)
			if err != nil {
				t.Fatal(err)
			}
			if !tr.Model.FlipTTA {
				t.Fatal("the fast recipe's model does not use flip TTA")
			}
			if string(tr.Model.Precision()) != prec {
				t.Fatalf("model precision %q, want %q", tr.Model.Precision(), prec)
			}
			before := precisionAt1(t, tr.Model, test)
			if err := tr.Run(context.Background(), "", nil, nil); err != nil {
				t.Fatal(err)
			}
			after := precisionAt1(t, tr.Model, test)
			t.Logf("precision@1 %.3f untrained, %.3f after %d steps", before, after, tr.Step())
			if after < before+0.1 {
				t.Fatalf("precision@1 %.3f untrained, %.3f trained", before, after)
			}
		})
	}
}

// TestFastRecipeResumes interrupts the fast recipe (SGD, lookahead
// average, augmentation, proxies) and checks that resuming gives the
// uninterrupted run's weights bit for bit.
func TestFastRecipeResumes(t *testing.T) {
	ds := toyData(3, 8, 6)
	cfg := tinyFast()
	cfg.Epochs = 2
	straight, err := New(cfg, ds)
	if err != nil {
		t.Fatal(err)
	}
	if err := straight.Run(context.Background(), "", nil, nil); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	first, _ := New(cfg, ds)
	first.Run(ctx, dir, func(s Status) {
		if s.Step == 2 {
			cancel()
		}
	}, nil)
	resumed, err := Resume(dir, ds, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := resumed.Run(context.Background(), dir, nil, nil); err != nil {
		t.Fatal(err)
	}
	if !sameWeights(straight, resumed) {
		t.Fatal("the resumed fast run differs from the straight one")
	}
	_, sa := straight.Model.State()
	_, sb := resumed.Model.State()
	for i := range sa {
		if !slices.Equal(sa[i].Value.Data, sb[i].Value.Data) {
			t.Fatalf("state %s differs after resume", sa[i].Name)
		}
	}
}

// TestSimCLRLowersLoss trains the simclr recipe briefly on synthetic
// images without their labels: the pair softmax over two views falls.
func TestSimCLRLowersLoss(t *testing.T) {
	ds := orientations(24, 7)
	for i := range ds.Labels {
		ds.Labels[i] = -1 // unlabelled
	}
	ds.Classes = nil
	cfg := SimCLRConfig()
	cfg.BatchSize, cfg.Epochs, cfg.Warmup, cfg.Seed = 16, 12, 5, 3
	tr, err := New(cfg, ds)
	if err != nil {
		t.Fatal(err)
	}
	var first, last float64
	steps := tr.TotalSteps()
	for s := range steps {
		l, err := tr.TrainStep()
		if err != nil {
			t.Fatal(err)
		}
		if s < 6 {
			first += float64(l) / 6
		}
		if s >= steps-6 {
			last += float64(l) / 6
		}
	}
	t.Logf("loss %.3f over the first 6 steps, %.3f over the last 6 (of %d)", first, last, steps)
	if last >= first*0.9 {
		t.Errorf("loss %.3f -> %.3f: no learning", first, last)
	}
}
