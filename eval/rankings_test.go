package eval

import (
	"math/rand/v2"
	"testing"
)

// TestFromRankingsMatchesRetrieval feeds the exact rankings back in and
// expects the same metrics as Retrieval.
func TestFromRankingsMatchesRetrieval(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	n, dim := 300, 6
	emb := make([]float32, n*dim)
	labels := make([]int, n)
	for i := range labels {
		labels[i] = rng.IntN(5)
		for d := 0; d < dim; d++ {
			emb[i*dim+d] = float32(rng.IntN(9)-4) / 4
		}
	}
	want, err := Retrieval(emb, dim, labels, Options{})
	if err != nil {
		t.Fatal(err)
	}
	all := make([]int, n)
	for i := range all {
		all[i] = i
	}
	ranked := Neighbours(emb, dim, all, n-1)
	got, err := FromRankings(labels, ranked, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got.PrecisionAt1 != want.PrecisionAt1 || got.MAPAtR != want.MAPAtR || got.RPrecision != want.RPrecision ||
		got.PrecisionAt10 != want.PrecisionAt10 || got.RecallAtK[5] != want.RecallAtK[5] {
		t.Fatalf("FromRankings %+v, Retrieval %+v", got, want)
	}
}

// TestFromRankingsShort checks by hand that missing neighbours count as
// misses: labels a a a b, query 0 ranks only [3, 1] (R = 2): P@1 = 0,
// R-precision = 1/2, AP = (1/2 · 1/2)... = (P(2)·rel(2))/R = (1/2)/2 = 1/4.
func TestFromRankingsShort(t *testing.T) {
	labels := []int{0, 0, 0, 1}
	ranked := [][]int{{3, 1}, {0, 2, 3}, {0, 1, 3}, {0, 1, 2}}
	m, err := FromRankings(labels, ranked, Options{Ks: []int{1, 2}})
	if err != nil {
		t.Fatal(err)
	}
	// Query 3 is a singleton and skipped; queries 1 and 2 are perfect.
	if m.Queries != 3 || m.SkippedSingletons != 1 {
		t.Fatalf("queries %d, skipped %d", m.Queries, m.SkippedSingletons)
	}
	if want := 2.0 / 3; m.PrecisionAt1 != want {
		t.Errorf("P@1 = %v, want %v", m.PrecisionAt1, want)
	}
	if want := (0.25 + 1 + 1) / 3; m.MAPAtR != want {
		t.Errorf("MAP@R = %v, want %v", m.MAPAtR, want)
	}
	if want := (0.5 + 1 + 1) / 3; m.RPrecision != want {
		t.Errorf("R-precision = %v, want %v", m.RPrecision, want)
	}
	if m.RecallAtK[2] != 1 || m.RecallAtK[1] != 2.0/3 {
		t.Errorf("recall %v", m.RecallAtK)
	}
	empty, err := FromRankings(labels, [][]int{nil, nil, nil, nil}, Options{})
	if err != nil || empty.PrecisionAt10 != 0 || empty.MAPAtR != 0 {
		t.Fatalf("empty rankings: %+v, %v", empty, err)
	}
	if _, err := FromRankings(labels, ranked[:2], Options{}); err == nil {
		t.Fatal("wrong number of rankings: want error")
	}
	if _, err := FromRankings(labels, [][]int{{0}, nil, nil, nil}, Options{}); err == nil {
		t.Fatal("query among its own neighbours: want error")
	}
}
