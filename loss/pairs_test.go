package loss

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestPairsValue(t *testing.T) {
	// Anchors (1,0), (0,1) and positives (0.8,0.6), (0,1) at T = 0.5:
	// logits [[1.6, 0], [1.2, 2]], so the losses are log(1+e^-1.6) and
	// log(1+e^-0.8).
	emb := []float32{1, 0, 0, 1, 0.8, 0.6, 0, 1}
	l := NewPairs(0.5)
	got, err := l.Forward(emb, []int{7, 3, 7, 3}, 4, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := (math.Log(1+math.Exp(-1.6)) + math.Log(1+math.Exp(-0.8))) / 2
	if math.Abs(float64(got)-want) > 1e-6 {
		t.Fatalf("loss = %v, want %v", got, want)
	}
	if got2, err := l.Forward(emb, nil, 4, 2); err != nil || got2 != got {
		t.Fatalf("nil labels: loss = %v, %v, want %v", got2, err, got)
	}
}

func TestPairsErrors(t *testing.T) {
	l := NewPairs(0.5)
	emb := make([]float32, 6)
	_, err := l.Forward(emb, []int{0, 1, 2}, 3, 2)
	wantErr(t, "odd batch", err, "odd batch of 3")
	if _, err := l.Forward(emb[:4], []int{5, 5}, 2, 2); err != nil {
		t.Errorf("one pair: %v", err)
	}
	_, err = l.Forward(append(emb, 0, 0), []int{0, 1, 0, 2}, 4, 2)
	wantErr(t, "mismatched pair", err, "anchor 1 has label 1", "row 3", "has 2")
	_, err = l.Forward(emb[:5], nil, 3, 2)
	wantErr(t, "short embeddings, nil labels", err, "5 embedding values")
}

func TestPairsGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	n, d, h := 8, 5, 4
	emb := unitRows(rng, n, d)
	labels := []int{0, 1, 2, 3, 0, 1, 2, 3}
	l := NewPairs(0.2)
	f := func() float64 { return reference(emb[:h*d], emb[h*d:], h, d, 0.2) }
	got, err := l.Forward(emb, labels, n, d)
	if err != nil {
		t.Fatal(err)
	}
	if want := f(); math.Abs(float64(got)-want) > 1e-5*math.Max(1, want) {
		t.Fatalf("loss = %v, want %v", got, want)
	}
	checkGrad(t, "dEmb", emb, l.Backward(), f)
}
