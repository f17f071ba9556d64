package loss

import (
	"math"
	"math/rand/v2"
	"testing"
)

// supconReference computes the supervised contrastive loss in float64
// straight from its definition.
func supconReference(z []float32, labels []int, n, d int, temp float64) float64 {
	dot := func(i, j int) float64 {
		var s float64
		for k := 0; k < d; k++ {
			s += float64(z[i*d+k]) * float64(z[j*d+k])
		}
		return s / temp
	}
	var total float64
	anchors := 0
	for i := 0; i < n; i++ {
		var denom float64
		for a := 0; a < n; a++ {
			if a != i {
				denom += math.Exp(dot(i, a))
			}
		}
		var sum float64
		positives := 0
		for p := 0; p < n; p++ {
			if p != i && labels[p] == labels[i] {
				sum += math.Log(math.Exp(dot(i, p)) / denom)
				positives++
			}
		}
		if positives > 0 {
			total += -sum / float64(positives)
			anchors++
		}
	}
	return total / float64(anchors)
}

func TestSupConValue(t *testing.T) {
	// z = (1,0), (0,1), (-1,0), (0,-1) with labels 0, 0, 1, 0 at T = 0.5.
	// Row 2 has no positive and is no anchor. Every anchor's logits over
	// the other rows are {0, 0, -2}, so its log-denominator is
	// L = log(2+e^-2); the positives' logits are {0, 0} for row 0 and
	// {0, -2} for rows 1 and 3, so the losses are L, L+1, L+1.
	z := []float32{1, 0, 0, 1, -1, 0, 0, -1}
	labels := []int{0, 0, 1, 0}
	l := NewSupCon(0.5)
	got, err := l.Forward(z, labels, 4, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := math.Log(2+math.Exp(-2)) + 2.0/3
	if math.Abs(float64(got)-want) > 1e-6 {
		t.Fatalf("loss = %v, want %v", got, want)
	}
	if ref := supconReference(z, labels, 4, 2, 0.5); math.Abs(ref-want) > 1e-12 {
		t.Fatalf("reference = %v, want %v", ref, want)
	}
	checkGrad(t, "dZ", z, l.Backward(), func() float64 { return supconReference(z, labels, 4, 2, 0.5) })
}

func TestSupConGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	n, d := 8, 5
	z := unitRows(rng, n, d)
	labels := []int{0, 0, 0, 1, 1, 2, 2, 3} // class 3 has no positive
	l := NewSupCon(0.2)
	f := func() float64 { return supconReference(z, labels, n, d, 0.2) }
	got, err := l.Forward(z, labels, n, d)
	if err != nil {
		t.Fatal(err)
	}
	if want := f(); math.Abs(float64(got)-want) > 1e-5*math.Max(1, want) {
		t.Fatalf("loss = %v, want %v", got, want)
	}
	checkGrad(t, "dZ", z, l.Backward(), f)
}

func TestSupConErrors(t *testing.T) {
	z := []float32{1, 0, 0, 1, -1, 0}
	_, err := NewSupCon(0.5).Forward(z, []int{0, 1, 2}, 3, 2)
	wantErr(t, "no positives", err, "supcon", "no anchor has a positive")
	_, err = NewSupCon(0.5).Forward(z[:2], []int{0}, 1, 2)
	wantErr(t, "one row", err, "no anchor has a positive")
	_, err = NewSupCon(0).Forward(z, []int{0, 0, 1}, 3, 2)
	wantErr(t, "zero temperature", err, "temperature 0")
}
