package index

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// randomVecs returns n uniform random vectors in [-1, 1)^dim.
func randomVecs(rng *rand.Rand, n, dim int) []float32 {
	v := make([]float32, n*dim)
	for i := range v {
		v[i] = rng.Float32()*2 - 1
	}
	return v
}

// clusteredVecs returns n vectors drawn from nclusters gaussian clusters
// with centres in [-1, 1)^dim and standard deviation sigma.
func clusteredVecs(rng *rand.Rand, n, dim, nclusters int, sigma float64) []float32 {
	centres := randomVecs(rng, nclusters, dim)
	v := make([]float32, n*dim)
	for i := range n {
		c := rng.IntN(nclusters)
		for j := range dim {
			v[i*dim+j] = centres[c*dim+j] + float32(rng.NormFloat64()*sigma)
		}
	}
	return v
}

// seqIDs returns 1..n.
func seqIDs(n int) []uint64 {
	ids := make([]uint64, n)
	for i := range ids {
		ids[i] = uint64(i + 1)
	}
	return ids
}

// bruteForce ranks all vectors against q in float64 and returns every
// result, best first, with the scores of the package documentation.
func bruteForce(metric Metric, ids []uint64, vecs []float32, dim int, q []float32) []Result {
	qq := make([]float64, dim)
	var qn float64
	for i, x := range q {
		qq[i] = float64(x)
		qn += qq[i] * qq[i]
	}
	qn = math.Sqrt(qn)
	out := make([]Result, len(ids))
	for i, id := range ids {
		v := vecs[i*dim : (i+1)*dim]
		var d, vn, l2 float64
		for j, x := range v {
			d += qq[j] * float64(x)
			vn += float64(x) * float64(x)
			l2 += (qq[j] - float64(x)) * (qq[j] - float64(x))
		}
		var s float64
		switch metric {
		case Cosine:
			if qn > 0 && vn > 0 {
				s = d / (qn * math.Sqrt(vn))
			}
		case Dot:
			s = d
		case L2:
			s = math.Sqrt(l2)
		}
		out[i] = Result{ID: id, Score: float32(s)}
	}
	slices.SortFunc(out, func(a, b Result) int {
		if c := cmp.Compare(a.Score, b.Score); c != 0 {
			if metric == L2 {
				return c
			}
			return -c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out
}

// checkExact fails unless got matches the reference ranking ref (all
// results, best first): the same scores rank by rank, and every returned
// ID carries the score the reference gives it.
func checkExact(t *testing.T, got, ref []Result, k int, tol float32) {
	t.Helper()
	want := ref[:min(k, len(ref))]
	if len(got) != len(want) {
		t.Fatalf("got %d results, want %d", len(got), len(want))
	}
	byID := make(map[uint64]float32, len(ref))
	for _, r := range ref {
		byID[r.ID] = r.Score
	}
	seen := make(map[uint64]bool)
	for i, r := range got {
		if seen[r.ID] {
			t.Fatalf("rank %d: id %d returned twice", i, r.ID)
		}
		seen[r.ID] = true
		if d := abs32(r.Score - want[i].Score); d > tol*(1+abs32(want[i].Score)) {
			t.Fatalf("rank %d: score %v, want %v", i, r.Score, want[i].Score)
		}
		s, ok := byID[r.ID]
		if !ok || abs32(s-want[i].Score) > tol*(1+abs32(s)) {
			t.Fatalf("rank %d: id %d has true score %v, rank wants %v", i, r.ID, s, want[i].Score)
		}
	}
}

func abs32(x float32) float32 { return float32(math.Abs(float64(x))) }

// recall returns the fraction of want's IDs found in got.
func recall(got, want []Result) float64 {
	set := make(map[uint64]bool, len(want))
	for _, r := range want {
		set[r.ID] = true
	}
	hit := 0
	for _, r := range got {
		if set[r.ID] {
			hit++
		}
	}
	return float64(hit) / float64(len(want))
}
