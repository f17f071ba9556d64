package index

import (
	"math/rand/v2"
	"testing"
)

var allMetrics = []Metric{Cosine, Dot, L2}

func TestExactMatchesBruteForce(t *testing.T) {
	for _, m := range allMetrics {
		for _, dim := range []int{1, 7, 32, 33} {
			t.Run(m.String(), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(1, uint64(dim)))
				const n = 1500
				vecs := randomVecs(rng, n, dim)
				ids := seqIDs(n)
				e, err := NewExact(dim, m)
				if err != nil {
					t.Fatal(err)
				}
				if err := e.AddBatch(ids, vecs); err != nil {
					t.Fatal(err)
				}
				const nq = 70 // more than one Sgemm query block
				qs := randomVecs(rng, nq, dim)
				for _, k := range []int{1, 10, n + 5} {
					batch := e.SearchBatch(qs, nq, k)
					for i := range nq {
						q := qs[i*dim : (i+1)*dim]
						ref := bruteForce(m, ids, vecs, dim, q)
						checkExact(t, e.Search(q, k), ref, k, 1e-4)
						checkExact(t, batch[i], ref, k, 1e-4)
					}
				}
			})
		}
	}
}

func TestExactDelete(t *testing.T) {
	const dim, n = 8, 300
	rng := rand.New(rand.NewPCG(2, 2))
	vecs := randomVecs(rng, n, dim)
	e, _ := NewExact(dim, L2)
	if err := e.AddBatch(seqIDs(n), vecs); err != nil {
		t.Fatal(err)
	}
	var keptIDs []uint64
	var kept []float32
	for i := range n {
		id := uint64(i + 1)
		if i%3 == 0 {
			if !e.Delete(id) {
				t.Fatalf("Delete(%d) = false", id)
			}
			if e.Delete(id) {
				t.Fatalf("second Delete(%d) = true", id)
			}
			if _, ok := e.Vector(id); ok {
				t.Fatalf("Vector(%d) found after delete", id)
			}
			continue
		}
		keptIDs = append(keptIDs, id)
		kept = append(kept, vecs[i*dim:(i+1)*dim]...)
	}
	if e.Len() != len(keptIDs) {
		t.Fatalf("Len = %d, want %d", e.Len(), len(keptIDs))
	}
	for i, id := range keptIDs {
		v, ok := e.Vector(id)
		if !ok || v[0] != kept[i*dim] {
			t.Fatalf("Vector(%d) = %v, %v after deletes", id, v, ok)
		}
	}
	qs := randomVecs(rng, 10, dim)
	batch := e.SearchBatch(qs, 10, 15)
	for i := range 10 {
		ref := bruteForce(L2, keptIDs, kept, dim, qs[i*dim:(i+1)*dim])
		checkExact(t, batch[i], ref, 15, 1e-4)
		checkExact(t, e.Search(qs[i*dim:(i+1)*dim], 15), ref, 15, 1e-4)
	}
	// The block copy of the short vectors follows the deletions: whole
	// blocks for the rows left, equal to the rows.
	if want := (e.Len() + 15) / 16 * 16 * dim; len(e.blocks) != want {
		t.Fatalf("block copy of %d values for %d rows, want %d", len(e.blocks), e.Len(), want)
	}
	for r := range e.Len() {
		for k := range dim {
			if e.blocks[(r/16*dim+k)*16+r%16] != e.data[r*dim+k] {
				t.Fatalf("block copy differs at row %d", r)
			}
		}
	}
	// Re-adding an ID replaces its vector.
	if err := e.Add(2, make([]float32, dim)); err != nil {
		t.Fatal(err)
	}
	if r := e.Search(make([]float32, dim), 1); r[0].ID != 2 || r[0].Score != 0 {
		t.Fatalf("after replace: %v", r)
	}
}

func TestExactRejects(t *testing.T) {
	e, _ := NewExact(4, Cosine)
	if err := e.Add(1, []float32{1, 2, 3}); err == nil {
		t.Fatal("short vector accepted")
	}
	nan := float32(0)
	nan = nan / nan
	if err := e.Add(1, []float32{1, 2, 3, nan}); err == nil {
		t.Fatal("NaN accepted")
	}
	if got := e.Search([]float32{1, 0, 0, 0}, 5); len(got) != 0 {
		t.Fatalf("empty index returned %v", got)
	}
}

// TestExactParallel forces the parallel paths: rows split over goroutines
// for single queries and small batches, query blocks for big batches.
func TestExactParallel(t *testing.T) {
	const dim, n = 12, 3000
	for _, m := range allMetrics {
		rng := rand.New(rand.NewPCG(18, 18))
		vecs := randomVecs(rng, n, dim)
		ids := seqIDs(n)
		e, _ := NewExact(dim, m)
		e.AddBatch(ids, vecs)
		e.minWork, e.maxProcs = 1000, 3
		for _, nq := range []int{1, 5, 200} {
			qs := randomVecs(rng, nq, dim)
			batch := e.SearchBatch(qs, nq, 7)
			for i := range nq {
				q := qs[i*dim : (i+1)*dim]
				ref := bruteForce(m, ids, vecs, dim, q)
				checkExact(t, batch[i], ref, 7, 1e-4)
				if i < 5 {
					checkExact(t, e.Search(q, 7), ref, 7, 1e-4)
				}
			}
		}
	}
}
