package nn

import (
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestArchitectureSizes builds every architecture at the sizes it should
// take, checks the model records the size and embeds images of it, and
// that keras-small refuses any size but 32 and fast one too small.
func TestArchitectureSizes(t *testing.T) {
	for _, c := range []struct {
		name  string
		sizes []int
	}{
		{"fast", []int{32, 64, 96, 128}},
		{"resnet-small", []int{32, 64}},
		{"resnet-stem", []int{32, 128, 224}},
		{"keras-small", []int{32}},
	} {
		for _, size := range c.sizes {
			m, err := NewArchitecture(c.name, 8, size)
			if err != nil {
				t.Fatalf("%s at %d: %v", c.name, size, err)
			}
			if m.Size != size || m.Dim() != 8 {
				t.Fatalf("%s at %d: size %d, dim %d", c.name, size, m.Size, m.Dim())
			}
			m.Init(rand.New(rand.NewPCG(1, 1)))
			px := make([]uint8, 2*size*size*3)
			for i := range px {
				px[i] = uint8(i * 7)
			}
			e := m.Embed(px, 2, 2)
			if len(e) != 16 {
				t.Fatalf("%s at %d: %d values", c.name, size, len(e))
			}
			// The model file keeps the size and the network.
			dir := filepath.Join(t.TempDir(), "m")
			if err := Save(dir, m, nil, nil); err != nil {
				t.Fatal(err)
			}
			back, _, err := Load(dir)
			if err != nil || back.Size != size {
				t.Fatalf("%s at %d: loaded size %v, %v", c.name, size, back, err)
			}
			if !slices.Equal(back.Embed(px, 2, 2), e) {
				t.Fatalf("%s at %d: the loaded model embeds differently", c.name, size)
			}
		}
	}
	if m, err := NewArchitecture("fast", 8, 0); err != nil || m.Size != DefaultSize {
		t.Fatalf("default size: %v, %v", m, err)
	}
	for _, c := range []struct {
		name string
		size int
		want string
	}{
		{"keras-small", 64, "32x32"},
		{"fast", 16, "fast"},
		{"fast", -3, "must be positive"},
	} {
		if _, err := NewArchitecture(c.name, 8, c.size); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s at %d: err = %v, want one mentioning %q", c.name, c.size, err, c.want)
		}
	}
}
