package eval

import (
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
)

func TestTopKTiesAndExclude(t *testing.T) {
	nan := float32(math.NaN())
	scores := []float32{0.5, 0.9, nan, 0.5, 0.9, -1, 0.5}
	for _, c := range []struct {
		k, exclude int
		want       []int
	}{
		{3, -1, []int{1, 4, 0}},
		{3, 1, []int{4, 0, 3}},
		{5, 4, []int{1, 0, 3, 6, 5}},
		{10, -1, []int{1, 4, 0, 3, 6, 5, 2}},
		{0, -1, []int{}},
	} {
		got := TopK(nil, scores, c.k, c.exclude)
		if !slices.Equal(got, c.want) {
			t.Errorf("TopK(k=%d, exclude=%d) = %v, want %v", c.k, c.exclude, got, c.want)
		}
	}
}

func TestTopKSignedZero(t *testing.T) {
	negZero := float32(math.Copysign(0, -1))
	got := TopK(nil, []float32{-1, negZero, 0, negZero, float32(math.Inf(-1))}, 5, -1)
	if want := []int{1, 2, 3, 0, 4}; !slices.Equal(got, want) {
		t.Errorf("TopK with signed zeros = %v, want %v", got, want)
	}
}

func TestTopKMatchesSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	dst := make([]int, 0, 4)
	for trial := 0; trial < 200; trial++ {
		n := 1 + rng.IntN(300)
		scores := make([]float32, n)
		for i := range scores {
			scores[i] = float32(rng.IntN(6)-3) / 2 // many ties
		}
		exclude := rng.IntN(n+1) - 1
		k := rng.IntN(n + 2)
		var want []int
		for i := range scores {
			if i != exclude {
				want = append(want, i)
			}
		}
		sort.SliceStable(want, func(a, b int) bool { return scores[want[a]] > scores[want[b]] })
		want = want[:min(k, len(want))]
		dst = TopK(dst, scores, k, exclude)
		if !slices.Equal(dst, want) {
			t.Fatalf("trial %d: TopK(%v, k=%d, exclude=%d) = %v, want %v", trial, scores, k, exclude, dst, want)
		}
	}
}

func TestNeighbours(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	const n, dim = 300, 3
	emb := randomEmbeddings(rng, n, dim)
	queries := []int{5, 0, 299, 17, 5}
	got := Neighbours(emb, dim, queries, 12)
	for qi, q := range queries {
		want := bruteRanking(emb, dim, q)[:12]
		if !slices.Equal(got[qi], want) {
			t.Errorf("query %d: %v, want %v", q, got[qi], want)
		}
	}
	// k beyond n-1 returns every other item and never the query.
	all := Neighbours(emb[:3*dim], dim, []int{1}, 10)
	if len(all[0]) != 2 || slices.Contains(all[0], 1) {
		t.Errorf("Neighbours on 3 items = %v, want the 2 others", all[0])
	}
}

func TestConfusionMatrix(t *testing.T) {
	// item   0   1   2   3   4   5
	// angle  0  90  10  80  60 105
	// label  A   B   A   B   A   B
	// With 2 queries per class and k=2:
	//   q0 -> p2(A) p4(A); q2 -> p0(A) p4(A)   row A: [4 0]
	//   q1 -> p3(B) p5(B); q3 -> p1(B) p4(A)   row B: [1 3]
	// Class 2 has no items, so its row stays zero.
	emb := circle(0, 90, 10, 80, 60, 105)
	labels := []int{0, 1, 0, 1, 0, 1}
	got := ConfusionMatrix(emb, 2, labels, 3, 2, 2)
	want := [][]int{{4, 0, 0}, {1, 3, 0}, {0, 0, 0}}
	for c := range want {
		if !slices.Equal(got[c], want[c]) {
			t.Errorf("confusion matrix = %v, want %v", got, want)
			break
		}
	}
}

func TestConfusionMatrixKerasDefaults(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	const n, dim, classes = 400, 4, 10
	emb := randomEmbeddings(rng, n, dim)
	labels := make([]int, n)
	for i := range labels {
		labels[i] = i % classes
	}
	for c, row := range ConfusionMatrix(emb, dim, labels, classes, 0, 0) {
		sum := 0
		for _, v := range row {
			sum += v
		}
		if sum != 100 {
			t.Errorf("row %d sums to %d, want 10 queries x 10 neighbours", c, sum)
		}
	}
}

// TestTopKLarge covers the sampled-threshold path, including data ordered
// so that a strided sample is misleading and the fallback must run.
func TestTopKLarge(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	var sel selector
	for trial := 0; trial < 30; trial++ {
		n := sampleMinN + rng.IntN(12000)
		scores := make([]float32, n)
		switch trial % 3 {
		case 0: // random with ties
			for i := range scores {
				scores[i] = float32(rng.IntN(50))
			}
		case 1: // high scores only at the sampled positions
			stride := max(1, n/sampleSize)
			for i := range scores {
				if i%stride == 0 {
					scores[i] = 1
				}
			}
		case 2: // ascending
			for i := range scores {
				scores[i] = float32(i)
			}
		}
		k := 1 + rng.IntN(n/4)
		if trial%2 == 0 {
			k = 1 + rng.IntN(20)
		}
		exclude := rng.IntN(n)
		want := make([]int, 0, n)
		for i := range scores {
			if i != exclude {
				want = append(want, i)
			}
		}
		sort.SliceStable(want, func(a, b int) bool { return scores[want[a]] > scores[want[b]] })
		got := sel.topK(nil, scores, k, exclude)
		if !slices.Equal(got, want[:k]) {
			t.Fatalf("trial %d (n=%d, k=%d): top-k differs from a full sort", trial, n, k)
		}
	}
}
