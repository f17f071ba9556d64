package nn

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/lookalike/lookalike/tensor"
)

// trainMode runs a layer in training mode even when asked for inference,
// so that gradCheck's finite differences see the function whose gradient
// Backward computed after a training Forward.
type trainMode struct{ Layer }

func (l trainMode) Forward(x *tensor.Tensor, _ bool) *tensor.Tensor { return l.Layer.Forward(x, true) }

func (l trainMode) Init(rng *rand.Rand) {
	if in, ok := l.Layer.(Initializer); ok {
		in.Init(rng)
	}
}

// evalMode runs a layer in inference mode, for the gradient after an
// inference Forward.
type evalMode struct{ Layer }

func (l evalMode) Forward(x *tensor.Tensor, _ bool) *tensor.Tensor {
	return l.Layer.Forward(x, false)
}

func (l evalMode) Init(rng *rand.Rand) {
	if in, ok := l.Layer.(Initializer); ok {
		in.Init(rng)
	}
}

// statsKeeper is a BatchNorm whose Init keeps running statistics away from
// 0 and 1, for checking the inference gradient.
type statsKeeper struct{ *BatchNorm }

func (l statsKeeper) Init(rng *rand.Rand) {
	l.BatchNorm.Init(rng)
	for j := range l.C {
		l.RunningMean.Value.Data[j] = float32(rng.NormFloat64())
		l.RunningVar.Value.Data[j] = float32(0.5 + rng.Float64())
	}
}

func TestBatchNormGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	cases := []struct {
		name  string
		layer Layer
		in    []int
	}{
		{"train nhwc", trainMode{NewBatchNorm(4)}, []int{2, 3, 3, 4}},
		{"train 2d", trainMode{NewBatchNorm(3)}, []int{6, 3}},
		{"train odd channels", trainMode{NewBatchNorm(5)}, []int{3, 2, 1, 5}},
		{"eval nhwc", evalMode{statsKeeper{NewBatchNorm(4)}}, []int{2, 3, 3, 4}},
		{"train frozen scale", trainMode{frozenScale(NewBatchNorm(4))}, []int{2, 3, 3, 4}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { gradCheck(t, c.name, c.layer, c.in, rng, false) })
	}
}

func frozenScale(l *BatchNorm) *BatchNorm {
	l.FrozenScale = true
	return l
}

func TestBatchNormFrozenScale(t *testing.T) {
	l := frozenScale(NewBatchNorm(3))
	if ps := l.Params(); len(ps) != 1 || ps[0] != l.Beta {
		t.Fatalf("params %v, want beta alone", ps)
	}
	if st := l.State(); len(st) != 3 || st[2] != l.Gamma {
		t.Fatalf("state %v, want the running statistics and gamma", st)
	}
	back, err := LayerFromSpec(l.Spec())
	if err != nil || !back.(*BatchNorm).FrozenScale {
		t.Fatalf("spec round trip: %v %+v", err, back)
	}
}

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol*(1+math.Abs(b)) }

// TestBatchNormSemantics checks training and inference outputs and the
// running statistics against values computed by hand, PyTorch's way.
func TestBatchNormSemantics(t *testing.T) {
	bn := NewBatchNorm(2)
	bn.Gamma.Value.Data[0], bn.Gamma.Value.Data[1] = 2, 0.5
	bn.Beta.Value.Data[0], bn.Beta.Value.Data[1] = 1, -1
	// [1, 2, 2, 2] NHWC: channel 0 is 1, 2, 3, 4; channel 1 is 10, 10, 10, 14.
	x := tensor.From([]float32{1, 10, 2, 10, 3, 10, 4, 14}, 1, 2, 2, 2)
	y := bn.Forward(x, true)
	mean := [2]float64{2.5, 11}
	biased := [2]float64{1.25, 3}      // Σ(x-mean)²/4
	unbiased := [2]float64{5.0 / 3, 4} // Σ(x-mean)²/3
	gamma, beta := [2]float64{2, 0.5}, [2]float64{1, -1}
	for i, v := range x.Data {
		c := i % 2
		want := gamma[c]*(float64(v)-mean[c])/math.Sqrt(biased[c]+1e-5) + beta[c]
		if !near(float64(y.Data[i]), want, 1e-6) {
			t.Errorf("train y[%d] = %v, want %v", i, y.Data[i], want)
		}
	}
	var rm, rv [2]float64
	for c := range 2 {
		rm[c] = 0.9*0 + 0.1*mean[c]
		rv[c] = 0.9*1 + 0.1*unbiased[c]
		if !near(float64(bn.RunningMean.Value.Data[c]), rm[c], 1e-6) || !near(float64(bn.RunningVar.Value.Data[c]), rv[c], 1e-6) {
			t.Errorf("running stats[%d] = %v, %v; want %v, %v", c, bn.RunningMean.Value.Data[c], bn.RunningVar.Value.Data[c], rm[c], rv[c])
		}
	}
	// Inference uses the running statistics and leaves them alone.
	y = bn.Forward(x, false)
	for i, v := range x.Data {
		c := i % 2
		want := gamma[c]*(float64(v)-rm[c])/math.Sqrt(rv[c]+1e-5) + beta[c]
		if !near(float64(y.Data[i]), want, 1e-6) {
			t.Errorf("eval y[%d] = %v, want %v", i, y.Data[i], want)
		}
	}
	if !near(float64(bn.RunningMean.Value.Data[0]), rm[0], 1e-6) {
		t.Errorf("inference changed the running mean")
	}
	// A second training batch: the averages move by momentum again.
	x2 := tensor.From([]float32{0, 0, 0, 2, 0, 4, 0, 6}, 1, 2, 2, 2)
	bn.Forward(x2, true)
	mean2, unbiased2 := [2]float64{0, 3}, [2]float64{0, 20.0 / 3}
	for c := range 2 {
		rm[c] = 0.9*rm[c] + 0.1*mean2[c]
		rv[c] = 0.9*rv[c] + 0.1*unbiased2[c]
		if !near(float64(bn.RunningMean.Value.Data[c]), rm[c], 1e-6) || !near(float64(bn.RunningVar.Value.Data[c]), rv[c], 1e-6) {
			t.Errorf("second step running stats[%d] = %v, %v; want %v, %v", c, bn.RunningMean.Value.Data[c], bn.RunningVar.Value.Data[c], rm[c], rv[c])
		}
	}
	// Init restores the initial state.
	bn.Init(nil)
	if bn.RunningMean.Value.Data[1] != 0 || bn.RunningVar.Value.Data[1] != 1 || bn.Gamma.Value.Data[0] != 1 || bn.Beta.Value.Data[1] != 0 {
		t.Errorf("Init did not reset the layer")
	}
}

func TestBatchNormSpec(t *testing.T) {
	l, err := LayerFromSpec(NewBatchNormWith(3, 0.01, 1e-3).Spec())
	if err != nil {
		t.Fatal(err)
	}
	bn := l.(*BatchNorm)
	if bn.C != 3 || bn.Momentum != 0.01 || bn.Eps != 1e-3 {
		t.Fatalf("round trip: %+v", bn.Spec())
	}
	if l, err := LayerFromSpec(Spec{Type: "batch_norm", InC: 2}); err != nil || l.(*BatchNorm).Momentum != 0.1 || l.(*BatchNorm).Eps != 1e-5 {
		t.Fatalf("defaults: %v %v", l, err)
	}
	if _, err := LayerFromSpec(Spec{Type: "batch_norm"}); err == nil {
		t.Fatal("no channels: want error")
	}
	if _, err := bn.OutShape([]int{2, 4}); err == nil {
		t.Fatal("wrong channels: want error")
	}
}

// torchBN is a PyTorch script that runs BatchNorm2d on the inputs of
// in.json (NHWC) in training mode, then in inference mode, and writes the
// outputs, gradients and running statistics to out.json. It exits with
// status 3 when torch cannot be imported.
const torchBN = `
import json, sys
try:
    import torch
except Exception:
    sys.exit(3)
d = json.load(open(sys.argv[1]))
n, h, w, c = d["shape"]
x = torch.tensor(d["x"], dtype=torch.float32).reshape(n, h, w, c).permute(0, 3, 1, 2).contiguous().requires_grad_(True)
bn = torch.nn.BatchNorm2d(c, eps=1e-5, momentum=0.1)
with torch.no_grad():
    bn.weight.copy_(torch.tensor(d["gamma"]))
    bn.bias.copy_(torch.tensor(d["beta"]))
bn.train()
y = bn(x)
dy = torch.tensor(d["dy"], dtype=torch.float32).reshape(n, h, w, c).permute(0, 3, 1, 2)
y.backward(dy)
nhwc = lambda t: t.detach().permute(0, 2, 3, 1).reshape(-1).tolist()
out = {"y": nhwc(y), "dx": nhwc(x.grad), "dgamma": bn.weight.grad.tolist(), "dbeta": bn.bias.grad.tolist(),
       "running_mean": bn.running_mean.tolist(), "running_var": bn.running_var.tolist()}
bn.eval()
with torch.no_grad():
    out["y_eval"] = nhwc(bn(x))
json.dump(out, open(sys.argv[2], "w"))
`

// TestBatchNormAgainstTorch compares BatchNorm with PyTorch's BatchNorm2d,
// when /usr/bin/python3 has torch.
func TestBatchNormAgainstTorch(t *testing.T) {
	const python = "/usr/bin/python3"
	if _, err := os.Stat(python); err != nil {
		t.Skip("no " + python)
	}
	if testing.Short() {
		t.Skip("short mode")
	}
	rng := rand.New(rand.NewPCG(21, 22))
	shape := []int{3, 4, 5, 6}
	in := map[string]any{"shape": shape}
	randn := func(n int, mean, std float64) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(mean + std*rng.NormFloat64())
		}
		return v
	}
	x := tensor.From(randn(tensor.Numel(shape), 3, 2), shape...)
	dy := tensor.From(randn(x.Len(), 0, 1), shape...)
	bn := NewBatchNorm(shape[3])
	copy(bn.Gamma.Value.Data, randn(bn.C, 1, 0.3))
	copy(bn.Beta.Value.Data, randn(bn.C, 0, 0.3))
	in["x"], in["dy"], in["gamma"], in["beta"] = x.Data, dy.Data, bn.Gamma.Value.Data, bn.Beta.Value.Data

	dir := t.TempDir()
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	inPath, outPath, script := filepath.Join(dir, "in.json"), filepath.Join(dir, "out.json"), filepath.Join(dir, "bn.py")
	if err := os.WriteFile(inPath, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(script, []byte(torchBN), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, script, inPath, outPath)
	cmd.Env = append(os.Environ(), "OMP_NUM_THREADS=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) && exit.ExitCode() == 3 {
			t.Skip("python3 has no torch")
		}
		t.Fatalf("python: %v\n%s", err, out)
	}
	var want map[string][]float64
	b, err = os.ReadFile(outPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}

	y := bn.Forward(x, true).Clone()
	dx := bn.Backward(dy)
	yEval := bn.Forward(x, false)
	for _, c := range []struct {
		name string
		got  []float32
	}{
		{"y", y.Data}, {"dx", dx.Data}, {"dgamma", bn.Gamma.Grad.Data}, {"dbeta", bn.Beta.Grad.Data},
		{"running_mean", bn.RunningMean.Value.Data}, {"running_var", bn.RunningVar.Value.Data},
		{"y_eval", yEval.Data},
	} {
		w := want[c.name]
		if len(w) != len(c.got) {
			t.Fatalf("%s: %d values from torch, %d here", c.name, len(w), len(c.got))
		}
		worst := 0.0
		for i := range w {
			worst = max(worst, math.Abs(float64(c.got[i])-w[i])/(1+math.Abs(w[i])))
		}
		if worst > 1e-5 {
			t.Errorf("%s: largest relative difference from torch %.3g", c.name, worst)
		} else {
			t.Logf("%s: largest relative difference from torch %.3g", c.name, worst)
		}
	}
}

// BenchmarkBatchNorm times a training forward and backward pass over the
// largest activation of resnet-small at batch 256.
func BenchmarkBatchNorm(b *testing.B) {
	bn := NewBatchNorm(64)
	x := tensor.New(256, 32, 32, 64)
	for i := range x.Data {
		x.Data[i] = float32(i%97) * 0.01
	}
	dy := x.Clone()
	for b.Loop() {
		bn.Forward(x, true)
		bn.Backward(dy)
	}
}

// TestBatchNormParallel checks a BatchNorm large enough to split its work
// across goroutines against a direct float64 computation.
func TestBatchNormParallel(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	rng := rand.New(rand.NewPCG(61, 62))
	const c = 32
	x := tensor.New(16, 16, 16, c)
	dy := tensor.New(x.Shape...)
	for i := range x.Data {
		x.Data[i] = float32(1 + rng.NormFloat64())
		dy.Data[i] = float32(rng.NormFloat64())
	}
	bn := NewBatchNorm(c)
	if p := bn.parts(x.Len() / c); p < 2 {
		t.Fatalf("%d parts, want several", p)
	}
	for j := range c {
		bn.Gamma.Value.Data[j] = float32(0.5 + rng.Float64())
		bn.Beta.Value.Data[j] = float32(rng.NormFloat64())
	}
	y := bn.Forward(x, true)
	dx := bn.Backward(dy)

	m := x.Len() / c
	for j := range c {
		var mean, v, sg, sgx float64
		for r := range m {
			mean += float64(x.Data[r*c+j])
		}
		mean /= float64(m)
		for r := range m {
			d := float64(x.Data[r*c+j]) - mean
			v += d * d
		}
		v /= float64(m)
		inv := 1 / math.Sqrt(v+1e-5)
		for r := range m {
			g := float64(dy.Data[r*c+j])
			sg += g
			sgx += g * (float64(x.Data[r*c+j]) - mean) * inv
		}
		gamma := float64(bn.Gamma.Value.Data[j])
		if !near(float64(bn.Gamma.Grad.Data[j]), sgx, 1e-4) || !near(float64(bn.Beta.Grad.Data[j]), sg, 1e-4) {
			t.Fatalf("channel %d: dgamma %v dbeta %v, want %v %v", j, bn.Gamma.Grad.Data[j], bn.Beta.Grad.Data[j], sgx, sg)
		}
		if !near(float64(bn.RunningMean.Value.Data[j]), 0.1*mean, 1e-5) || !near(float64(bn.RunningVar.Value.Data[j]), 0.9+0.1*v*float64(m)/float64(m-1), 1e-5) {
			t.Fatalf("channel %d: running stats %v %v", j, bn.RunningMean.Value.Data[j], bn.RunningVar.Value.Data[j])
		}
		for r := range m {
			i := r*c + j
			xhat := (float64(x.Data[i]) - mean) * inv
			wantY := gamma*xhat + float64(bn.Beta.Value.Data[j])
			wantDx := gamma * inv * (float64(dy.Data[i]) - sg/float64(m) - xhat*sgx/float64(m))
			if !near(float64(y.Data[i]), wantY, 1e-5) || !near(float64(dx.Data[i]), wantDx, 1e-4) {
				t.Fatalf("element %d: y %v dx %v, want %v %v", i, y.Data[i], dx.Data[i], wantY, wantDx)
			}
		}
	}
}
