package nn

import (
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/lookalike/lookalike/tensor"
)

// seq runs layers one after the other, as a Layer, for gradient checks of
// small stacks.
type seq []Layer

func (s seq) Forward(x *tensor.Tensor, train bool) *tensor.Tensor {
	for _, l := range s {
		x = l.Forward(x, train)
	}
	return x
}

func (s seq) Backward(dy *tensor.Tensor) *tensor.Tensor {
	for i := len(s) - 1; i >= 0; i-- {
		dy = s[i].Backward(dy)
	}
	return dy
}

func (s seq) Params() []*Param {
	var ps []*Param
	for _, l := range s {
		ps = append(ps, l.Params()...)
	}
	return ps
}

func (s seq) OutShape(in []int) ([]int, error) { return branchShape(s, in) }

func (s seq) Spec() Spec { return Spec{Type: "seq"} }

func (s seq) Init(rng *rand.Rand) {
	for _, l := range s {
		if in, ok := l.(Initializer); ok {
			in.Init(rng)
		}
	}
}

// TestResidualGradients checks residual blocks, in both modes and with both
// kinds of shortcut, and a miniature resnet-small against finite
// differences.
func TestResidualGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	cases := []struct {
		name  string
		layer Layer
		in    []int
	}{
		{"identity train", trainMode{NewResidualBlock(3, 3, 1)}, []int{2, 4, 4, 3}},
		{"projection s2 train", trainMode{NewResidualBlock(2, 4, 2)}, []int{2, 6, 6, 2}},
		{"projection s2 odd train", trainMode{NewResidualBlock(2, 3, 2)}, []int{2, 5, 5, 2}},
		{"projection s1 train", trainMode{NewResidualBlock(2, 3, 1)}, []int{2, 3, 3, 2}},
		{"identity eval", evalMode{NewResidualBlock(3, 3, 1)}, []int{2, 4, 4, 3}},
		{"projection s2 eval", evalMode{NewResidualBlock(2, 4, 2)}, []int{2, 6, 6, 2}},
		// A miniature resnet-small, end to end.
		{"mini resnet train", trainMode{seq{
			NewConv2D(3, 4, 3, 1, Same), NewBatchNorm(4), NewReLU(),
			NewResidualBlock(4, 4, 1), NewResidualBlock(4, 6, 2),
			NewGlobalAvgPool(), NewDense(6, 3), NewL2Normalize(),
		}}, []int{2, 4, 4, 3}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// With a step of 1e-2, kinks spoil 1-5% of the gradients;
			// with 1e-3, the worst case seen is 1 in 400, from the
			// curvature BatchNorm adds on a batch this small.
			bad, total := gradCheckKinked(t, c.name, c.layer, c.in, rng, 1e-3)
			t.Logf("%d of %d gradients disagree", bad, total)
			if bad > total/100 {
				t.Errorf("%d of %d gradients disagree with finite differences", bad, total)
			}
		})
	}
}

func TestResidualStructure(t *testing.T) {
	id, proj := NewResidualBlock(4, 4, 1), NewResidualBlock(4, 8, 2)
	if len(id.Shortcut) != 0 || len(proj.Shortcut) != 2 {
		t.Fatalf("shortcuts: %d and %d layers", len(id.Shortcut), len(proj.Shortcut))
	}
	var names []string
	for _, p := range proj.Params() {
		names = append(names, p.Name)
	}
	want := "inner.0.kernel inner.0.bias inner.1.gamma inner.1.beta inner.3.kernel inner.3.bias inner.4.gamma inner.4.beta " +
		"shortcut.0.kernel shortcut.0.bias shortcut.1.gamma shortcut.1.beta"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("param names %q, want %q", got, want)
	}
	names = names[:0]
	for _, p := range proj.State() {
		names = append(names, p.Name)
	}
	if got := strings.Join(names, " "); got != "inner.1.running_mean inner.1.running_var inner.4.running_mean inner.4.running_var shortcut.1.running_mean shortcut.1.running_var" {
		t.Errorf("state names %q", got)
	}
	if s, err := proj.OutShape([]int{2, 7, 7, 4}); err != nil || !reflect.DeepEqual(s, []int{2, 4, 4, 8}) {
		t.Errorf("OutShape = %v, %v", s, err)
	}
	if _, err := id.OutShape([]int{2, 7, 7, 3}); err == nil {
		t.Error("wrong channels: want error")
	}
	bad := NewResidual([]Layer{NewConv2D(4, 4, 3, 2, Same)}, nil)
	if _, err := bad.OutShape([]int{1, 4, 4, 4}); err == nil || !strings.Contains(err.Error(), "differ") {
		t.Errorf("mismatched branches: %v", err)
	}
	// The spec rebuilds the same block.
	l, err := LayerFromSpec(proj.Spec())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(l.Spec(), proj.Spec()) || len(l.Params()) != len(proj.Params()) {
		t.Errorf("spec round trip: %+v", l.Spec())
	}
	if _, err := LayerFromSpec(Spec{Type: "residual"}); err == nil {
		t.Error("empty residual: want error")
	}
	if _, err := LayerFromSpec(Spec{Type: "residual", Layers: []Spec{{Type: "nope"}}}); err == nil {
		t.Error("bad inner layer: want error")
	}
}

// resNetSmallParams is the parameter count of resnet-small with 8
// dimensions: stem 1,792 + 128, blocks 74,112, 230,528 and 919,808, dense
// 2,056.
const resNetSmallParams = 1_228_424

func TestResNetSmallShape(t *testing.T) {
	m, err := NewArchitecture("resnet-small", 8, 0)
	if err != nil {
		t.Fatal(err)
	}
	if s, err := m.OutShape(256); err != nil || !reflect.DeepEqual(s, []int{256, 8}) {
		t.Fatalf("OutShape(256) = %v, %v", s, err)
	}
	t.Logf("resnet-small: %d trainable parameters, %d layers", m.NumParams(), len(m.Layers))
	if m.NumParams() != resNetSmallParams {
		t.Errorf("%d parameters, want %d", m.NumParams(), resNetSmallParams)
	}
	seen := map[string]bool{}
	names, _ := m.namedTensors()
	for _, n := range names {
		if seen[n] {
			t.Errorf("duplicate tensor name %s", n)
		}
		seen[n] = true
	}
	sn, st := m.State()
	t.Logf("%d parameter tensors, %d state tensors (%s ... %s)", len(m.Params()), len(st), sn[0], sn[len(sn)-1])
	if len(st) != 2*(1+2+3+3) {
		t.Errorf("%d state tensors, want 18", len(st))
	}
}

// TestResNetSmallSaveLoad checks that a saved resnet-small, running
// statistics included, loads to the same model.
func TestResNetSmallSaveLoad(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	m, err := ResNetSmall(8, 32)
	if err != nil {
		t.Fatal(err)
	}
	m.Init(rng)
	x := tensor.New(2, 32, 32, 3)
	for i := range x.Data {
		x.Data[i] = float32(rng.IntN(256))
	}
	m.Forward(x, true) // move the running statistics
	m.Forward(x, true)
	_, st := m.State()
	if st[0].Value.Data[0] == 0 || st[1].Value.Data[0] == 1 {
		t.Fatalf("running statistics did not move: %v %v", st[0].Value.Data[0], st[1].Value.Data[0])
	}
	dir := t.TempDir()
	if err := Save(dir, m, nil, nil); err != nil {
		t.Fatal(err)
	}
	got, info, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if info.Name != "resnet-small" || !reflect.DeepEqual(got.Specs(), m.Specs()) {
		t.Fatalf("loaded %s with specs %+v", info.Name, got.Specs())
	}
	want := m.StateDict()
	have := got.StateDict()
	if len(have) != len(want) || want["layers.2.running_var"] == nil || want["layers.6.shortcut.1.running_mean"] == nil {
		t.Fatalf("state dicts of %d and %d tensors", len(want), len(have))
	}
	for name, w := range want {
		if !reflect.DeepEqual(have[name].Data, w.Data) {
			t.Errorf("tensor %s differs after loading", name)
		}
	}
	a := m.Forward(x, false).Clone()
	b := got.Forward(x, false)
	for i := range a.Data {
		if a.Data[i] != b.Data[i] {
			t.Fatalf("loaded model differs at %d: %v vs %v", i, a.Data[i], b.Data[i])
		}
	}
	// A weights file without the running statistics is refused.
	sd := m.StateDict()
	delete(sd, "layers.2.running_mean")
	if err := got.LoadStateDict(sd); err == nil || !strings.Contains(err.Error(), "running_mean") {
		t.Errorf("missing running mean: %v", err)
	}
}

// BenchmarkResNetSmallStep times one training forward and backward pass of
// resnet-small on a batch of 256, once the layers' buffers exist.
func BenchmarkResNetSmallStep(b *testing.B) {
	m, err := ResNetSmall(8, 32)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	m.Init(rng)
	x := tensor.New(256, 32, 32, 3)
	for i := range x.Data {
		x.Data[i] = float32(rng.IntN(256))
	}
	dy := tensor.New(256, 8)
	for i := range dy.Data {
		dy.Data[i] = float32(rng.NormFloat64())
	}
	step := func() {
		m.Forward(x, true)
		m.Backward(dy)
		m.ZeroGrad()
	}
	step() // allocate the buffers (about 6 GB) outside the timing
	for b.Loop() {
		step()
	}
	b.ReportMetric(float64(b.N*x.Dim(0))/b.Elapsed().Seconds(), "images/s")
}

// gradCheckKinked is gradCheck for layers with ReLUs inside, whose kinks a
// finite difference may cross (gradCheck's inputs avoid the kinks of a
// lone ReLU, which is not possible here). A difference that crosses a kink
// is wrong on that side only, so a gradient passes when it matches the
// central difference or either one-sided one; it returns the number of
// gradients that match none, and the number checked.
func gradCheckKinked(t *testing.T, name string, l Layer, inShape []int, rng *rand.Rand, eps float64) (bad, total int) {
	t.Helper()
	x := tensor.New(inShape...)
	for i := range x.Data {
		x.Data[i] = float32(rng.NormFloat64())
	}
	if in, ok := l.(Initializer); ok {
		in.Init(rng)
	}
	for _, p := range l.Params() {
		for i := range p.Value.Data {
			p.Value.Data[i] += float32(0.1 * rng.NormFloat64())
		}
		p.Grad.Zero()
	}
	y := l.Forward(x, true)
	r := make([]float32, y.Len())
	for i := range r {
		r[i] = float32(rng.NormFloat64())
	}
	dx := l.Backward(tensor.From(append([]float32(nil), r...), y.Shape...)).Clone()
	eval := func() float64 { return lossOf(l.Forward(x, false), r) }
	f0 := eval()
	ok := func(a, num float64) bool { return math.Abs(num-a) <= 2e-3+2e-2*math.Abs(num) }
	compare := func(what string, v, grad []float32) {
		for i := range v {
			orig := v[i]
			v[i] = orig + float32(eps)
			up := eval()
			v[i] = orig - float32(eps)
			down := eval()
			v[i] = orig
			a := float64(grad[i])
			total++
			if ok(a, (up-down)/(2*eps)) || ok(a, (up-f0)/eps) || ok(a, (f0-down)/eps) {
				continue
			}
			if bad < 5 {
				t.Logf("%s %s[%d]: analytic %.6f, numeric %.6f, one-sided %.6f %.6f", name, what, i, a, (up-down)/(2*eps), (up-f0)/eps, (f0-down)/eps)
			}
			bad++
		}
	}
	compare("dx", x.Data, dx.Data)
	for _, p := range l.Params() {
		compare("d"+p.Name, p.Value.Data, append([]float32(nil), p.Grad.Data...))
	}
	return bad, total
}
