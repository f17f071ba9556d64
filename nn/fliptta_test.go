package nn

import (
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
)

// TestFlipTTA checks that with FlipTTA an embedding is the normalised mean
// of the image's and its mirror image's, and that model files keep the
// setting.
func TestFlipTTA(t *testing.T) {
	m, px := ttaSetup(t)
	const n, size = ttaImages, 32
	mirrored := make([]uint8, len(px))
	for r := 0; r < n*size; r++ {
		for x := range size {
			copy(mirrored[(r*size+size-1-x)*3:(r*size+size-x)*3], px[(r*size+x)*3:(r*size+x+1)*3])
		}
	}
	plain := m.Embed(px, n, 2)
	flipped := m.Embed(mirrored, n, 2)
	m.FlipTTA = true
	got := m.Embed(px, n, 2)
	d := m.Dim()
	for i := range n {
		var norm float64
		for j := range d {
			v := float64(plain[i*d+j] + flipped[i*d+j])
			norm += v * v
		}
		for j := range d {
			want := float64(plain[i*d+j]+flipped[i*d+j]) / math.Sqrt(norm)
			if math.Abs(float64(got[i*d+j])-want) > 1e-6 {
				t.Fatalf("image %d value %d: %v, want %v", i, j, got[i*d+j], want)
			}
		}
	}
	dir := filepath.Join(t.TempDir(), "m")
	if err := Save(dir, m, nil, nil); err != nil {
		t.Fatal(err)
	}
	back, info, err := Load(dir)
	if err != nil || !back.FlipTTA || !info.FlipTTA {
		t.Fatalf("model file lost flip TTA: %v %v", err, info)
	}
	if c, _ := back.Clone(); !c.FlipTTA {
		t.Fatal("clone lost flip TTA")
	}
}

// TestTranslate checks the reflect-padded shift on a hand-computed 3x3
// image.
func TestTranslate(t *testing.T) {
	src := []float32{1, 2, 3, 4, 5, 6, 7, 8, 9}
	for _, c := range []struct {
		d    int
		want []float32
	}{
		{1, []float32{5, 6, 5, 8, 9, 8, 5, 6, 5}},
		{-1, []float32{5, 4, 5, 2, 1, 2, 5, 4, 5}},
		{0, src},
	} {
		got := make([]float32, 9)
		translate(got, src, 1, 3, 1, c.d)
		if !slices.Equal(got, c.want) {
			t.Errorf("d=%d: %v, want %v", c.d, got, c.want)
		}
	}
}

// TestTranslateTTA checks that with TranslateTTA an embedding is the
// normalised 1/2, 1/4, 1/4 mean of the image's and its two translations'
// flip-averaged embeddings, and that model files keep the setting.
func TestTranslateTTA(t *testing.T) {
	m, px := ttaSetup(t)
	const n, size = ttaImages, 32
	// view returns the images translated by d, mirrored if flip.
	view := func(d int, flip bool) []uint8 {
		x := make([]float32, len(px))
		for i, p := range px {
			x[i] = float32(p)
		}
		y := make([]float32, len(px))
		translate(y, x, n, size, 3, d)
		if flip {
			mirror(x, y, n, size, 3)
			y = x
		}
		out := make([]uint8, len(px))
		for i, v := range y {
			out[i] = uint8(v)
		}
		return out
	}
	// The views' plain embeddings and their weights.
	var views [][]float32
	var weights []float64
	for _, d := range []int{0, -2, 2} {
		for _, flip := range []bool{false, true} {
			views = append(views, m.Embed(view(d, flip), n, 2))
			weights = append(weights, map[bool]float64{true: 0.25, false: 0.125}[d == 0])
		}
	}
	m.FlipTTA, m.TranslateTTA = true, 2
	got := m.Embed(px, n, 2)
	d := m.Dim()
	for i := range n {
		want := make([]float64, d)
		var norm float64
		for j := range d {
			for v := range views {
				want[j] += weights[v] * float64(views[v][i*d+j])
			}
			norm += want[j] * want[j]
		}
		for j := range d {
			if w := want[j] / math.Sqrt(norm); math.Abs(float64(got[i*d+j])-w) > 1e-5 {
				t.Fatalf("image %d value %d: %v, want %v", i, j, got[i*d+j], w)
			}
		}
	}
	dir := filepath.Join(t.TempDir(), "m")
	if err := Save(dir, m, nil, nil); err != nil {
		t.Fatal(err)
	}
	back, info, err := Load(dir)
	if err != nil || back.TranslateTTA != 2 || info.TranslateTTA != 2 {
		t.Fatalf("model file lost translate TTA: %v %v", err, info)
	}
	if c, _ := back.Clone(); c.TranslateTTA != 2 {
		t.Fatal("clone lost translate TTA")
	}
}

// ttaImages is the number of images ttaSetup returns.
const ttaImages = 3

// ttaSetup returns an initialised keras-small and ttaImages random 32x32
// images, for the test-time augmentation tests.
func ttaSetup(t *testing.T) (*Model, []uint8) {
	t.Helper()
	m, err := KerasSmall(4)
	if err != nil {
		t.Fatal(err)
	}
	m.Init(rand.New(rand.NewPCG(1, 2)))
	rng := rand.New(rand.NewPCG(3, 4))
	px := make([]uint8, ttaImages*32*32*3)
	for i := range px {
		px[i] = uint8(rng.IntN(256))
	}
	return m, px
}
