package nn

import (
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"
)

// TestFlipTTA checks that with FlipTTA an embedding is the normalised mean
// of the image's and its mirror image's, and that model files keep the
// setting.
func TestFlipTTA(t *testing.T) {
	m, err := KerasSmall(4)
	if err != nil {
		t.Fatal(err)
	}
	m.Init(rand.New(rand.NewPCG(1, 2)))
	rng := rand.New(rand.NewPCG(3, 4))
	const n, size = 3, 32
	px := make([]uint8, n*size*size*3)
	for i := range px {
		px[i] = uint8(rng.IntN(256))
	}
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
