package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/lookalike/lookalike/tensor"
)

// lossOf is a scalar function of a layer's output: Σ r·y with fixed random
// weights r, so that every output element gets a distinct gradient r.
func lossOf(y *tensor.Tensor, r []float32) float64 {
	var s float64
	for i, v := range y.Data {
		s += float64(v) * float64(r[i])
	}
	return s
}

// gradCheck compares a layer's backward pass with central finite
// differences, for the input and for every parameter.
func gradCheck(t *testing.T, name string, l Layer, inShape []int, rng *rand.Rand, avoidZero bool) {
	t.Helper()
	x := tensor.New(inShape...)
	for i := range x.Data {
		v := float32(rng.NormFloat64())
		if avoidZero && math.Abs(float64(v)) < 0.05 {
			v += 0.1 * float32(math.Copysign(1, float64(v)))
		}
		x.Data[i] = v
	}
	if in, ok := l.(Initializer); ok {
		in.Init(rng)
	}
	for _, p := range l.Params() {
		for i := range p.Value.Data {
			p.Value.Data[i] += float32(0.1 * rng.NormFloat64()) // non-zero biases too
		}
		p.Grad.Zero()
	}
	y := l.Forward(x, true)
	r := make([]float32, y.Len())
	for i := range r {
		r[i] = float32(rng.NormFloat64())
	}
	dy := tensor.From(append([]float32(nil), r...), y.Shape...)
	dx := l.Backward(dy)
	var dxData []float32
	if dx != nil {
		dxData = append([]float32(nil), dx.Data...)
	}

	const eps = 1e-2
	eval := func() float64 { return lossOf(l.Forward(x, false), r) }
	compare := func(what string, v []float32, grad []float32) {
		bad := 0
		for i := range v {
			orig := v[i]
			v[i] = orig + eps
			up := eval()
			v[i] = orig - eps
			down := eval()
			v[i] = orig
			num := (up - down) / (2 * eps)
			if math.Abs(num-float64(grad[i])) > 2e-3+2e-2*math.Abs(num) {
				if bad < 5 {
					t.Errorf("%s %s[%d]: analytic %.6f, numeric %.6f", name, what, i, grad[i], num)
				}
				bad++
			}
		}
	}
	if dxData != nil {
		compare("dx", x.Data, dxData)
	}
	for _, p := range l.Params() {
		compare("d"+p.Name, p.Value.Data, append([]float32(nil), p.Grad.Data...))
	}
}

func TestGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	cases := []struct {
		name      string
		layer     Layer
		in        []int
		avoidZero bool
	}{
		{"conv valid s2", NewConv2D(3, 4, 3, 2, Valid), []int{2, 7, 7, 3}, false},
		{"conv valid s1", NewConv2D(2, 3, 3, 1, Valid), []int{2, 5, 6, 2}, false},
		{"conv same s1", NewConv2D(2, 3, 3, 1, Same), []int{2, 5, 5, 2}, false},
		{"conv same s2 even", NewConv2D(3, 2, 3, 2, Same), []int{1, 6, 6, 3}, false},
		{"conv 1x1", NewConv2D(4, 3, 1, 1, Valid), []int{2, 3, 3, 4}, false},
		{"conv in slices", slicedConv(NewConv2D(2, 3, 3, 1, Same)), []int{5, 4, 4, 2}, false},
		{"conv 1x1 s2 in slices", slicedConv(NewConv2D(3, 2, 1, 2, Valid)), []int{3, 5, 5, 3}, false},
		{"dense", NewDense(5, 3), []int{4, 5}, false},
		{"relu", NewReLU(), []int{3, 4, 4, 2}, true},
		{"gelu", NewGELU(), []int{3, 4, 4, 2}, false},
		{"max pool 2", NewMaxPool2D(2, 2), []int{2, 5, 5, 3}, false},
		{"max pool 3 s2", NewMaxPool2D(3, 2), []int{2, 7, 6, 2}, false},
		{"gap", NewGlobalAvgPool(), []int{2, 3, 4, 5}, false},
		{"l2", NewL2Normalize(), []int{4, 6}, false},
		{"rescaling", NewRescaling(0.5), []int{2, 3}, false},
		{"conv explicit 3 s2", NewConv2DPadded(3, 4, 7, 2, 3), []int{2, 9, 8, 3}, false},
		{"conv explicit 1", NewConv2DPadded(2, 3, 3, 1, 1), []int{2, 5, 4, 2}, false},
		{"max pool 3 s2 p1", NewMaxPool2DPadded(3, 2, 1), []int{2, 7, 6, 2}, false},
		{"standardize", NewStandardize([]float64{0.485, 0.456, 0.406}, []float64{0.229, 0.224, 0.225}), []int{2, 3, 2, 3}, false},
		{"center crop", NewCenterCrop(3), []int{2, 6, 5, 2}, false},
		{"depthwise 3 s1 p1", NewDepthwiseConv2D(3, 3, 1, 1), []int{2, 5, 4, 3}, false},
		{"depthwise 5 s2 p2", NewDepthwiseConv2D(4, 5, 2, 2), []int{2, 7, 8, 4}, false},
		{"hardswish", NewHardswish(), []int{3, 4, 4, 2}, false},
		{"squeeze excite", NewSqueezeExcite(6, 3), []int{2, 3, 4, 6}, false},
		{"linear residual", linearResidual(), []int{2, 4, 4, 3}, false},
		{"grouped conv 3x3 s2 g2", NewGroupedConv2D(4, 6, 3, 2, 1, 2), []int{2, 6, 5, 4}, false},
		{"grouped conv 1x1 g3", NewGroupedConv2D(6, 3, 1, 1, 0, 3), []int{2, 3, 3, 6}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { gradCheck(t, c.name, c.layer, c.in, rng, c.avoidZero) })
	}
}

// linearResidual is an inverted-residual-like block without the final
// ReLU: 1x1 expansion, depthwise 3x3, 1x1 projection, identity shortcut.
func linearResidual() *Residual {
	r := NewResidual([]Layer{NewConv2D(3, 6, 1, 1, Valid), NewHardswish(), NewDepthwiseConv2D(6, 3, 1, 1), NewConv2D(6, 3, 1, 1, Valid)}, nil)
	r.Linear = true
	return r
}

// slicedConv makes a convolution work through its batch one image at a
// time, so that tests cover the sliced path.
func slicedConv(l *Conv2D) *Conv2D {
	l.colLimit = 1
	return l
}

// TestConvAgainstDirect checks im2col convolution against a direct loop.
func TestConvAgainstDirect(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, pad := range []Padding{Valid, Same, Explicit} {
		for _, stride := range []int{1, 2, 3} {
			l := NewConv2D(3, 5, 3, stride, pad)
			if pad == Explicit {
				l.P = 1
			}
			l.Init(rng)
			for i := range l.B.Value.Data {
				l.B.Value.Data[i] = float32(rng.NormFloat64())
			}
			x := tensor.New(2, 8, 7, 3)
			for i := range x.Data {
				x.Data[i] = float32(rng.NormFloat64())
			}
			y := l.Forward(x, false)
			oh, ow, pt, pl := l.geometry(8, 7)
			for b := 0; b < 2; b++ {
				for oy := 0; oy < oh; oy++ {
					for ox := 0; ox < ow; ox++ {
						for o := 0; o < 5; o++ {
							s := float64(l.B.Value.Data[o])
							for ky := 0; ky < 3; ky++ {
								for kx := 0; kx < 3; kx++ {
									iy, ix := oy*stride+ky-pt, ox*stride+kx-pl
									if iy < 0 || iy >= 8 || ix < 0 || ix >= 7 {
										continue
									}
									for c := 0; c < 3; c++ {
										s += float64(x.Data[((b*8+iy)*7+ix)*3+c]) * float64(l.W.Value.Data[((ky*3+kx)*3+c)*5+o])
									}
								}
							}
							got := y.Data[((b*oh+oy)*ow+ox)*5+o]
							if math.Abs(float64(got)-s) > 1e-4 {
								t.Fatalf("pad %v stride %d: y[%d,%d,%d,%d] = %v, want %v", pad, stride, b, oy, ox, o, got, s)
							}
						}
					}
				}
			}
		}
	}
}

func TestSameGeometry(t *testing.T) {
	// TensorFlow: 'same' output is ceil(in/stride); odd total padding puts
	// the extra row at the bottom.
	l := NewConv2D(1, 1, 3, 2, Same)
	oh, ow, pt, pl := l.geometry(6, 5)
	if oh != 3 || ow != 3 || pt != 0 || pl != 1 {
		t.Fatalf("geometry(6,5) = %d %d %d %d, want 3 3 0 1", oh, ow, pt, pl)
	}
}

// TestModelGradient checks the whole keras-small model end to end on a
// small batch, through the loss of the upstream weights.
func TestModelGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	m, err := KerasSmall(4)
	if err != nil {
		t.Fatal(err)
	}
	m.Init(rng)
	x := tensor.New(2, 32, 32, 3)
	for i := range x.Data {
		x.Data[i] = float32(rng.IntN(256))
	}
	y := m.Forward(x, true)
	r := make([]float32, y.Len())
	for i := range r {
		r[i] = float32(rng.NormFloat64())
	}
	m.ZeroGrad()
	m.Backward(tensor.From(append([]float32(nil), r...), y.Shape...))
	// Spot-check 40 weights of every parameter. The embedding before the
	// L2 normalisation is small at initialisation, so the step is small too.
	const eps = 1e-4
	bad, total := 0, 0
	for pi, p := range m.Params() {
		for s := 0; s < 40; s++ {
			i := rng.IntN(p.Value.Len())
			orig := p.Value.Data[i]
			p.Value.Data[i] = orig + eps
			up := lossOf(m.Forward(x, false), r)
			p.Value.Data[i] = orig - eps
			down := lossOf(m.Forward(x, false), r)
			p.Value.Data[i] = orig
			num := (up - down) / (2 * eps)
			total++
			if math.Abs(num-float64(p.Grad.Data[i])) > 1e-2+5e-2*math.Abs(num) {
				bad++
				t.Logf("param %d %s[%d]: analytic %v numeric %v", pi, p.Name, i, p.Grad.Data[i], num)
			}
		}
	}
	// A ReLU kink crossed by the finite difference can spoil a rare sample.
	if bad > total/20 {
		t.Fatalf("%d of %d gradient samples disagree", bad, total)
	}
}

func TestMaxPoolAndGELUValues(t *testing.T) {
	// One 4x4 single-channel image, 2x2 windows: the maxima by hand.
	x := tensor.From([]float32{
		1, 5, 2, 0,
		3, 4, 8, 1,
		0, -1, -3, -2,
		7, 2, -4, -5,
	}, 1, 4, 4, 1)
	p := NewMaxPool2D(2, 2)
	y := p.Forward(x, true)
	want := []float32{5, 8, 7, -2}
	for i, v := range want {
		if y.Data[i] != v {
			t.Fatalf("max pool %v, want %v", y.Data, want)
		}
	}
	dx := p.Backward(tensor.From([]float32{1, 2, 3, 4}, 1, 2, 2, 1))
	wantDx := []float32{0, 1, 0, 0, 0, 0, 2, 0, 0, 0, 0, 4, 3, 0, 0, 0}
	for i, v := range wantDx {
		if dx.Data[i] != v {
			t.Fatalf("max pool gradient %v, want %v", dx.Data, wantDx)
		}
	}
	// GELU(x) = x·Φ(x): Φ(1) = 0.8413447, Φ(-1) = 0.1586553.
	g := NewGELU()
	gy := g.Forward(tensor.From([]float32{0, 1, -1}, 3), true)
	for i, v := range []float64{0, 0.8413447, -0.1586553} {
		if math.Abs(float64(gy.Data[i])-v) > 1e-6 {
			t.Fatalf("gelu %v", gy.Data)
		}
	}
}

// TestPaddedMaxPoolValues checks padded max pooling against the direct
// definition: the maximum over each window's taps inside the image.
func TestPaddedMaxPoolValues(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	l := NewMaxPool2DPadded(3, 2, 1)
	x := tensor.New(2, 7, 6, 3)
	for i := range x.Data {
		x.Data[i] = float32(rng.NormFloat64())
	}
	y := l.Forward(x, false)
	if !tensor.ShapeEqual(y.Shape, []int{2, 4, 3, 3}) {
		t.Fatalf("shape %v, want [2 4 3 3]", y.Shape)
	}
	for b := range 2 {
		for oy := range 4 {
			for ox := range 3 {
				for c := range 3 {
					want := float32(math.Inf(-1))
					for ky := range 3 {
						for kx := range 3 {
							iy, ix := oy*2-1+ky, ox*2-1+kx
							if iy >= 0 && iy < 7 && ix >= 0 && ix < 6 {
								want = max(want, x.Data[((b*7+iy)*6+ix)*3+c])
							}
						}
					}
					if got := y.Data[((b*4+oy)*3+ox)*3+c]; got != want {
						t.Fatalf("(%d,%d,%d,%d) = %v, want %v", b, oy, ox, c, got, want)
					}
				}
			}
		}
	}
}

// TestCenterCropOffsets checks torchvision's rounding of odd margins.
func TestCenterCropOffsets(t *testing.T) {
	l := NewCenterCrop(4)
	for _, c := range []struct{ h, top int }{{4, 0}, {5, 0}, {6, 1}, {7, 2}, {9, 2}, {256 - 224 + 4, 16}} {
		if top, _ := l.offsets(c.h, c.h); top != c.top {
			t.Errorf("crop 4 of %d: top %d, want %d (Python round)", c.h, top, c.top)
		}
	}
}

// TestFillRows checks the row broadcast for lengths around the doublings.
func TestFillRows(t *testing.T) {
	row := []float32{1, 2, 3}
	for rows := range 9 {
		dst := make([]float32, rows*3)
		fillRows(dst, row)
		for i, v := range dst {
			if v != row[i%3] {
				t.Fatalf("%d rows: dst[%d] = %v", rows, i, v)
			}
		}
	}
}

// TestGroupedEqualsBlockDiagonal checks a grouped convolution against a
// full one whose kernel is zero between groups.
func TestGroupedEqualsBlockDiagonal(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	const in, out, k, groups = 6, 9, 3, 3
	g := NewGroupedConv2D(in, out, k, 2, 1, groups)
	g.Init(rng)
	full := NewConv2DPadded(in, out, k, 2, 1)
	for gi, c := range g.Convs {
		for i := range c.B.Value.Data {
			c.B.Value.Data[i] = float32(rng.NormFloat64())
			full.B.Value.Data[gi*3+i] = c.B.Value.Data[i]
		}
		for y := range k {
			for x := range k {
				for i := range 2 {
					for o := range 3 {
						full.W.Value.Data[((y*k+x)*in+gi*2+i)*out+gi*3+o] = c.W.Value.Data[((y*k+x)*2+i)*3+o]
					}
				}
			}
		}
	}
	x := tensor.New(2, 7, 6, in)
	for i := range x.Data {
		x.Data[i] = float32(rng.NormFloat64())
	}
	want := full.Forward(x, false).Clone()
	got := g.Forward(x, false)
	for i := range want.Data {
		if math.Abs(float64(got.Data[i]-want.Data[i])) > 1e-5 {
			t.Fatalf("value %d: %v, want %v", i, got.Data[i], want.Data[i])
		}
	}
}
