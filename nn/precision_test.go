package nn

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lookalike/lookalike/kernels"
	"github.com/lookalike/lookalike/tensor"
)

// TestPrecisionBF16 checks that a bfloat16 model computes what the float32
// one does up to bfloat16 rounding, and not bit for bit where the CPU has
// bfloat16 (so the setting reaches the layers). Gradients differ more
// than embeddings: BatchNorm after a convolution makes its kernel gradient
// the small difference of large products, and a max pool may route a
// gradient elsewhere. PyTorch's bfloat16 autocast on the same FastNet
// (batch 16, random images) differs from its float32 by 0.22-0.28 in
// every conv kernel gradient, the same as here (0.18-0.22); the conv
// biases before BatchNorm have gradients that are rounding noise in both
// precisions and are not compared. keras-small has no BatchNorm: its
// gradients agree to a few percent.
func TestPrecisionBF16(t *testing.T) {
	keras, err := KerasSmall(8)
	if err != nil {
		t.Fatal(err)
	}
	fast, err := FastNet(64, 32)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		m              *Model
		embTol, grTol  float64
		skipConvBiases bool
	}{
		{keras, 0.02, 0.1, false},
		{fast, 0.02, 0.4, true},
	} {
		t.Run(c.m.Name, func(t *testing.T) {
			emb32, g32 := precisionRun(t, c.m, FP32)
			emb16, g16 := precisionRun(t, c.m, BF16)
			d := relDiff(emb32, emb16)
			same := d == 0
			if d > c.embTol {
				t.Errorf("embeddings differ by %.3g (relative), want <= %g", d, c.embTol)
			}
			for i, p := range c.m.Params() {
				d := relDiff(g32[i], g16[i])
				same = same && d == 0
				if c.skipConvBiases && p.Name == "bias" && len(p.Value.Shape) == 1 && i+1 < len(g32) && len(c.m.Params()[i+1].Value.Shape) == 1 {
					continue // a conv bias followed by BatchNorm's beta
				}
				if d > c.grTol {
					t.Errorf("gradient of parameter %d (%s %v) differs by %.3g (relative), want <= %g", i, p.Name, p.Value.Shape, d, c.grTol)
				}
			}
			if same == kernels.HasBF16() {
				t.Errorf("bfloat16 results identical to float32: %v, CPU has bfloat16: %v", same, kernels.HasBF16())
			}
		})
	}
}

// precisionRun returns, for a clone of m in precision p, the embeddings of
// 16 random images and the gradient of every parameter for a random output
// gradient. Each run has a clone of its own: a training forward pass moves
// the BatchNorm statistics.
func precisionRun(t *testing.T, m *Model, p Precision) (emb []float32, grads [][]float32) {
	t.Helper()
	m, err := m.Clone()
	if err != nil {
		t.Fatal(err)
	}
	m.Init(rand.New(rand.NewPCG(5, 6)))
	m.SetPrecision(p)
	if m.Precision() != p {
		t.Fatalf("Precision() = %q, want %q", m.Precision(), p)
	}
	const n = 16
	rng := rand.New(rand.NewPCG(7, 8))
	px := make([]uint8, n*32*32*3)
	for i := range px {
		px[i] = uint8(rng.IntN(256))
	}
	x := tensor.New(n, 32, 32, 3)
	for i, v := range px {
		x.Data[i] = float32(v)
	}
	dy := tensor.New(n, m.Dim())
	for i := range dy.Data {
		dy.Data[i] = float32(rng.NormFloat64())
	}
	emb = m.Embed(px, n, n)
	m.ZeroGrad()
	m.Forward(x, true)
	m.Backward(dy)
	for _, q := range m.Params() {
		grads = append(grads, append([]float32(nil), q.Grad.Data...))
	}
	return emb, grads
}

// relDiff returns |a-b| / |a| in the Euclidean norm.
func relDiff(a, b []float32) float64 {
	var num, den float64
	for i := range a {
		d := float64(a[i] - b[i])
		num += d * d
		den += float64(a[i]) * float64(a[i])
	}
	if den == 0 {
		return math.Sqrt(num)
	}
	return math.Sqrt(num / den)
}

// TestPrecisionFile checks that model files and clones keep the precision
// and that a model file naming an unknown one is refused.
func TestPrecisionFile(t *testing.T) {
	for _, s := range []string{"", "fp32", "bf16", "fp16"} {
		p, err := ParsePrecision(s)
		if (err != nil) != (s == "fp16") || (err == nil && p == "") {
			t.Errorf("ParsePrecision(%q) = %q, %v", s, p, err)
		}
	}
	m, err := KerasSmall(4)
	if err != nil {
		t.Fatal(err)
	}
	m.Init(rand.New(rand.NewPCG(1, 2)))
	m.SetPrecision(BF16)
	dir := filepath.Join(t.TempDir(), "m")
	if err := Save(dir, m, nil, nil); err != nil {
		t.Fatal(err)
	}
	back, info, err := Load(dir)
	if err != nil || back.Precision() != BF16 || info.Precision != BF16 {
		t.Fatalf("model file lost the precision: %v %+v", err, info)
	}
	if c, _ := back.Clone(); c.Precision() != BF16 {
		t.Fatal("clone lost the precision")
	}
	for _, l := range back.Layers {
		if c, ok := l.(*Conv2D); ok && c.prec != BF16 {
			t.Fatal("a loaded model's convolution is not in bfloat16")
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, JSONFile))
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	raw["precision"] = "fp16"
	b, _ = json.Marshal(raw)
	if err := os.WriteFile(filepath.Join(dir, JSONFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "fp16") {
		t.Fatalf("unknown precision: err = %v", err)
	}
}

// TestConvPaired checks that a bfloat16 convolution computes the same bits
// from an im2col matrix of pairs (its input packed once) as from a float32
// one rounded inside the product, with padding, a stride, and the batch in
// several slices, and that its gradients do not depend on it.
func TestConvPaired(t *testing.T) {
	if !kernels.HasBF16() {
		t.Skip("no bfloat16 instructions: the paired path is off")
	}
	for _, c := range []struct{ in, out, k, stride, limit int }{
		{4, 8, 3, 1, 0}, {6, 5, 3, 2, 700}, {2, 16, 1, 1, 0}, {8, 32, 2, 1, 300},
	} {
		conv := func(unpaired bool) (*tensor.Tensor, [][]float32) {
			l := NewConv2D(c.in, c.out, c.k, c.stride, Same)
			l.Init(rand.New(rand.NewPCG(1, 1)))
			l.setPrecision(BF16)
			l.unpaired, l.colLimit = unpaired, c.limit
			x := tensor.New(3, 9, 9, c.in)
			r := rand.New(rand.NewPCG(2, 2))
			for i := range x.Data {
				x.Data[i] = float32(r.NormFloat64())
			}
			y := l.Forward(x, true).Clone()
			dy := tensor.New(y.Shape...)
			for i := range dy.Data {
				dy.Data[i] = float32(r.NormFloat64())
			}
			dx := l.Backward(dy)
			return y, [][]float32{dx.Data, l.W.Grad.Data, l.B.Grad.Data}
		}
		y1, g1 := conv(false)
		y2, g2 := conv(true)
		for i := range y1.Data {
			if math.Float32bits(y1.Data[i]) != math.Float32bits(y2.Data[i]) {
				t.Fatalf("%+v: output %d: paired %v, unpaired %v", c, i, y1.Data[i], y2.Data[i])
			}
		}
		for j := range g1 {
			if d := relDiff(g2[j], g1[j]); d != 0 {
				t.Fatalf("%+v: gradient %d differs by %g", c, j, d)
			}
		}
	}
}

// TestPrecisionReachesBlocks checks that SetPrecision reaches the layers
// inside residual blocks and squeeze-and-excitation.
func TestPrecisionReachesBlocks(t *testing.T) {
	m, err := ResNetStem(8, 64)
	if err != nil {
		t.Fatal(err)
	}
	se := NewSqueezeExcite(4, 2)
	m.Layers = append(m.Layers, se)
	m.SetPrecision(BF16)
	var walk func(ls []Layer) int
	walk = func(ls []Layer) int {
		n := 0
		for _, l := range ls {
			switch l := l.(type) {
			case *Conv2D:
				if l.prec != BF16 {
					t.Errorf("a convolution is in %q", l.prec)
				}
				n++
			case *Dense:
				if l.prec != BF16 {
					t.Errorf("a dense layer is in %q", l.prec)
				}
				n++
			case *Residual:
				n += walk(l.Inner) + walk(l.Shortcut)
			case *SqueezeExcite:
				n += walk([]Layer{l.Fc1, l.Fc2})
			}
		}
		return n
	}
	if n := walk(m.Layers); n < 10 {
		t.Fatalf("only %d layers checked", n)
	}
}
