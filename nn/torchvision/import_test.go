package torchvision

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/lookalike/lookalike/internal/torchtest"
	"github.com/lookalike/lookalike/nn"
	"github.com/lookalike/lookalike/tensor"
)

// readF32 reads a little-endian float32 file.
func readF32(t *testing.T, path string) []float32 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]float32, len(b)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out
}

// TestImportMatchesTorchvision imports each architecture's seeded random
// weights and compares the model's embeddings of 16 images with
// torchvision's pooled features (eval mode), L2-normalised: within 1e-4
// relative, image by image.
func TestImportMatchesTorchvision(t *testing.T) {
	for _, arch := range []string{"resnet18", "resnet50", "mobilenet_v3_large", "resnext50_32x4d"} {
		t.Run(arch, func(t *testing.T) {
			dir := torchtest.Reference(t, arch, 7)
			sd, err := ReadPTH(filepath.Join(dir, arch+".pth"))
			if err != nil {
				t.Fatal(err)
			}
			m, err := Import(arch, sd, Options{Size: 224})
			if err != nil {
				t.Fatal(err)
			}
			if arch == "resnet18" {
				checkSafetensors(t, sd)
			}
			other := map[string]string{"resnet18": "resnet50", "resnet50": "resnet18", "mobilenet_v3_large": "resnet18", "resnext50_32x4d": "resnet50"}[arch]
			if _, err := Import(other, sd, Options{}); err == nil {
				t.Errorf("%s weights imported as %s", arch, other)
			} else {
				t.Logf("as %s: %v", other, err)
			}
			// What is saved is what is imported.
			saved := t.TempDir()
			if err := nn.Save(saved, m, nil, nil); err != nil {
				t.Fatal(err)
			}
			if m, _, err = nn.Load(saved); err != nil {
				t.Fatal(err)
			}
			px, err := os.ReadFile(filepath.Join(dir, "images.u8"))
			if err != nil {
				t.Fatal(err)
			}
			want := readF32(t, filepath.Join(dir, "features.f32"))
			n := 16
			x := tensor.New(n, 224, 224, 3)
			for i, v := range px {
				x.Data[i] = float32(v)
			}
			got := m.Forward(x, false)
			dim := len(want) / n
			if got.Shape[1] != dim {
				t.Fatalf("embedding of %d values, torchvision's features %d", got.Shape[1], dim)
			}
			for i := range n {
				var norm float64
				w := want[i*dim : (i+1)*dim]
				for _, v := range w {
					norm += float64(v) * float64(v)
				}
				norm = math.Sqrt(norm)
				var diff float64
				for j, v := range got.Data[i*dim : (i+1)*dim] {
					d := float64(v) - float64(w[j])/norm
					diff += d * d
				}
				if rel := math.Sqrt(diff); rel > 1e-4 {
					t.Errorf("image %d: relative difference %.2e from torchvision", i, rel)
				} else if i == 0 {
					t.Logf("image 0: relative difference %.2e", rel)
				}
			}
		})
	}
}

// checkSafetensors writes sd as a .safetensors file and checks that
// ReadWeights reads it back the same.
func checkSafetensors(t *testing.T, sd StateDict) {
	t.Helper()
	ts := map[string]*tensor.Tensor{}
	for name, v := range sd {
		ts[name] = tensor.From(v.Data, v.Shape...)
	}
	path := filepath.Join(t.TempDir(), "weights.safetensors")
	if err := nn.WriteSafetensors(path, ts, nil); err != nil {
		t.Fatal(err)
	}
	back, err := ReadWeights(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(back) != len(sd) {
		t.Fatalf("safetensors: %d tensors, want %d", len(back), len(sd))
	}
	for name, v := range sd {
		b := back[name]
		if !slices.Equal(b.Shape, v.Shape) || !slices.Equal(b.Data, v.Data) {
			t.Fatalf("safetensors: %s differs", name)
		}
	}
}
