package index

import (
	"math/rand/v2"
	"testing"
	"time"
)

// hnswRecall builds an HNSW and an exact index over vecs and returns the
// mean recall@k of nq queries.
func hnswRecall(t *testing.T, h *HNSW, vecs, qs []float32, dim, k int) float64 {
	t.Helper()
	n := len(vecs) / dim
	nq := len(qs) / dim
	e, _ := NewExact(dim, h.Metric())
	ids := seqIDs(n)
	if err := e.AddBatch(ids, vecs); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := h.AddBatch(ids, vecs); err != nil {
		t.Fatal(err)
	}
	t.Logf("built %d x %d in %v", n, dim, time.Since(start))
	want := e.SearchBatch(qs, nq, k)
	got := h.SearchBatch(qs, nq, k)
	var sum float64
	for i := range nq {
		sum += recall(got[i], want[i])
	}
	return sum / float64(nq)
}

func TestHNSWRecall(t *testing.T) {
	if raceEnabled {
		t.Skip("too slow under the race detector")
	}
	const dim, k, nq = 32, 10, 200
	cases := []struct {
		name   string
		metric Metric
		n      int
		gen    func(rng *rand.Rand, n int) []float32
	}{
		{"clusters-l2", L2, 20000, func(rng *rand.Rand, n int) []float32 { return clusteredVecs(rng, n, dim, 100, 0.1) }},
		{"clusters-cosine", Cosine, 20000, func(rng *rand.Rand, n int) []float32 { return clusteredVecs(rng, n, dim, 100, 0.1) }},
		{"uniform-l2", L2, 5000, func(rng *rand.Rand, n int) []float32 { return randomVecs(rng, n, dim) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(3, 3))
			all := c.gen(rng, c.n+nq)
			h, err := NewHNSW(dim, c.metric, HNSWConfig{Seed: 1, BuildWorkers: 2})
			if err != nil {
				t.Fatal(err)
			}
			r := hnswRecall(t, h, all[:c.n*dim], all[c.n*dim:], dim, k)
			t.Logf("recall@%d = %.4f", k, r)
			if r < 0.95 {
				t.Errorf("recall@%d = %.4f, want >= 0.95", k, r)
			}
		})
	}
}
