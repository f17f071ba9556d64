package nn

import (
	"math/rand/v2"
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
			if e := m.Embed(px, 2, 2); len(e) != 16 {
				t.Fatalf("%s at %d: %d values", c.name, size, len(e))
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
