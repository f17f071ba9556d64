package loss

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// unitRows returns n random rows of d values, each scaled to unit length.
func unitRows(rng *rand.Rand, n, d int) []float32 {
	x := make([]float32, n*d)
	for i := 0; i < n; i++ {
		row := x[i*d : (i+1)*d]
		var norm float64
		for k := range row {
			v := rng.NormFloat64()
			row[k] = float32(v)
			norm += v * v
		}
		for k := range row {
			row[k] = float32(float64(row[k]) / math.Sqrt(norm))
		}
	}
	return x
}

// checkGrad compares grad with the central finite differences of f, a
// float64 function of x, perturbing x in place.
func checkGrad(t *testing.T, name string, x, grad []float32, f func() float64) {
	t.Helper()
	const h = 1e-4
	if len(grad) != len(x) {
		t.Fatalf("%s: %d gradient values for %d inputs", name, len(grad), len(x))
	}
	for i := range x {
		orig := x[i]
		x[i] = orig + h
		up, xu := f(), float64(x[i])
		x[i] = orig - h
		down, xd := f(), float64(x[i])
		x[i] = orig
		num := (up - down) / (xu - xd)
		if math.Abs(num-float64(grad[i])) > 1e-4+1e-3*math.Abs(num) {
			t.Errorf("%s[%d]: analytic %v, numeric %v", name, i, grad[i], num)
		}
	}
}

// wantErr fails unless err is an error whose message contains each of parts.
func wantErr(t *testing.T, what string, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error", what)
		return
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("%s: error %q does not mention %q", what, err, p)
		}
	}
}

func TestRegistry(t *testing.T) {
	if got, want := Names(), []string{"norm-softmax", "pair-softmax", "supcon"}; !slices.Equal(got, want) {
		t.Fatalf("Names() = %v, want %v", got, want)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, name := range Names() {
		l, err := New(Spec{Name: name, Temperature: 0.1, LabelSmoothing: 0.1, Classes: 3, Dim: 4}, rng)
		if err != nil {
			t.Fatalf("New(%q): %v", name, err)
		}
		var ok bool
		switch name {
		case "pair-softmax":
			_, ok = l.(*Pairs)
		case "supcon":
			_, ok = l.(*SupCon)
		case "norm-softmax":
			var ns *NormSoftmax
			ns, ok = l.(*NormSoftmax)
			if ok && (ns.Temperature != 0.1 || ns.LabelSmoothing != 0.1) {
				t.Errorf("New(%q): temperature %v, smoothing %v", name, ns.Temperature, ns.LabelSmoothing)
			}
		}
		if !ok {
			t.Errorf("New(%q) = %T", name, l)
		}
		if wantParams := name == "norm-softmax"; (len(l.Params()) == 1) != wantParams {
			t.Errorf("New(%q).Params() = %v", name, l.Params())
		}
	}
	_, err := New(Spec{Name: "triplet", Temperature: 0.1}, rng)
	wantErr(t, "unknown name", err, `"triplet"`, "supcon")
	_, err = New(Spec{Name: "supcon"}, rng)
	wantErr(t, "zero temperature", err, "supcon", "temperature")
	_, err = New(Spec{Name: "norm-softmax", Temperature: 0.1, Dim: 4}, rng)
	wantErr(t, "no classes", err, "norm-softmax", "0 classes")
	_, err = New(Spec{Name: "norm-softmax", Temperature: 0.1, Classes: 3, Dim: 4}, nil)
	wantErr(t, "no rng", err, "random")
}

func TestBatchErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	ns, err := NewNormSoftmax(3, 2, 0.1, 0, rng)
	if err != nil {
		t.Fatal(err)
	}
	emb := unitRows(rng, 4, 2)
	labels := []int{0, 1, 0, 1}
	for _, l := range []Loss{NewPairs(0.1), NewSupCon(0.1), ns} {
		name := typeName(l)
		_, err := l.Forward(emb[:7], labels, 4, 2)
		wantErr(t, name+" short embeddings", err, "7 embedding values")
		_, err = l.Forward(emb, labels[:3], 4, 2)
		wantErr(t, name+" short labels", err, "3 labels")
		_, err = l.Forward(emb, []int{0, -1, 0, -1}, 4, 2)
		wantErr(t, name+" negative label", err, "label -1")
		_, err = l.Forward(nil, nil, 0, 2)
		wantErr(t, name+" empty batch", err, "0 rows")
		if _, err := l.Forward(emb, labels, 4, 2); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// typeName names l's type, for test messages.
func typeName(l Loss) string {
	switch l.(type) {
	case *Pairs:
		return "pairs"
	case *SupCon:
		return "supcon"
	case *NormSoftmax:
		return "normsoftmax"
	}
	return "?"
}

// TestNoAllocs checks that a step allocates nothing once the shapes are known.
func TestNoAllocs(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	ns, err := NewNormSoftmax(4, 5, 0.1, 0.1, rng)
	if err != nil {
		t.Fatal(err)
	}
	emb := unitRows(rng, 8, 5)
	labels := []int{0, 1, 2, 3, 0, 1, 2, 3}
	for _, l := range []Loss{NewPairs(0.1), NewSupCon(0.1), ns} {
		allocs := testing.AllocsPerRun(20, func() {
			if _, err := l.Forward(emb, labels, 8, 5); err != nil {
				t.Fatal(err)
			}
			l.Backward()
		})
		if allocs != 0 {
			t.Errorf("%s: %v allocations per step", typeName(l), allocs)
		}
	}
}
