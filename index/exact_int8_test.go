package index

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// recallAt10 is the share of want's first 10 IDs that got returns.
func recallAt10(got, want []Result) float64 {
	ids := map[uint64]bool{}
	for _, r := range want[:min(10, len(want))] {
		ids[r.ID] = true
	}
	hits := 0
	for _, r := range got {
		if ids[r.ID] {
			hits++
		}
	}
	return float64(hits) / float64(len(ids))
}

// TestExactQuantized checks int8 search against the float exact index on
// clustered vectors for every metric: recall@10 at least 0.99, scores the
// float ones, before and after deletes, replacements and growth past a
// refit, single queries and batches.
func TestExactQuantized(t *testing.T) {
	for _, m := range allMetrics {
		t.Run(m.String(), func(t *testing.T) {
			const dim, n = 48, 4000
			rng := rand.New(rand.NewPCG(41, 41))
			vecs := clusteredVecs(rng, n, dim, 40, 0.3)
			ids := seqIDs(n)
			e, _ := NewExact(dim, m)
			e.SetQuantize(true)
			if !e.Quantized() {
				t.Fatal("SetQuantize(true) did not take")
			}
			// A few rows first: the quantiser fits to them, then refits
			// when the index has grown tenfold.
			if err := e.AddBatch(ids[:200], vecs[:200*dim]); err != nil {
				t.Fatal(err)
			}
			e.Search(vecs[:dim], 5)
			if e.q.fitAt != 200 {
				t.Fatalf("fitted at %d rows", e.q.fitAt)
			}
			if err := e.AddBatch(ids[200:], vecs[200*dim:]); err != nil {
				t.Fatal(err)
			}
			check := func(stage string, ids []uint64, vecs []float32) {
				t.Helper()
				const nq = 60
				qs := clusteredVecs(rng, nq, dim, 40, 0.3)
				batch := e.SearchBatch(qs, nq, 10)
				var rec float64
				for i := range nq {
					q := qs[i*dim : (i+1)*dim]
					want := bruteForce(m, ids, vecs, dim, q)
					got := e.Search(q, 10)
					rec += recallAt10(got, want)
					if !slices.Equal(batch[i], got) {
						t.Fatalf("%s: batch %v differs from single %v", stage, batch[i], got)
					}
					// Results carry the float scores.
					for _, r := range got {
						for _, w := range want {
							if w.ID == r.ID && abs32(w.Score-r.Score) > 1e-4 {
								t.Fatalf("%s: score %g of %d, float %g", stage, r.Score, r.ID, w.Score)
							}
						}
					}
				}
				if rec /= nq; rec < 0.99 {
					t.Errorf("%s: recall@10 %.4f of the float exact search, want >= 0.99", stage, rec)
				}
				t.Logf("%s: recall@10 %.4f", stage, rec)
			}
			check("built", ids, vecs)
			if e.q.fitAt != n || len(e.q.codes) != n*dim {
				t.Fatalf("after growth: fitted at %d, %d codes", e.q.fitAt, len(e.q.codes))
			}
			// Delete every third, replace some: the codes follow.
			var keptIDs []uint64
			var kept []float32
			for i := range n {
				if i%3 == 0 {
					e.Delete(ids[i])
					continue
				}
				v := vecs[i*dim : (i+1)*dim]
				if i%7 == 0 {
					v = clusteredVecs(rng, 1, dim, 40, 0.3)
					e.Add(ids[i], v)
				}
				keptIDs = append(keptIDs, ids[i])
				kept = append(kept, v...)
			}
			check("after deletes and replacements", keptIDs, kept)
			if len(e.q.codes) != len(keptIDs)*dim || e.codeBytes() != len(keptIDs)*(dim+4) {
				t.Fatalf("%d codes for %d rows", len(e.q.codes), len(keptIDs))
			}
			e.SetQuantize(false)
			if e.Quantized() || e.q.codes != nil {
				t.Fatal("SetQuantize(false) kept the codes")
			}
		})
	}
}

// TestSQ8 checks the quantiser's round trip and its query form on a
// hand-sized case.
func TestSQ8(t *testing.T) {
	vecs := []float32{0, -1, 2, 1, 1, 0}
	q := fitSQ8(vecs, 3)
	codes := make([]uint8, 3)
	norm := q.encode(codes, []float32{0.5, 0, 1})
	var want float32
	for d, x := range []float32{0.5, 0, 1} {
		y := q.lo[d] + float32(codes[d])*q.step[d]
		if abs32(y-x) > q.step[d]/2+1e-6 {
			t.Errorf("dim %d: %g decodes to %g (step %g)", d, x, y, q.step[d])
		}
		want += y * y
	}
	if abs32(norm-want) > 1e-5 {
		t.Errorf("norm %g, want %g", norm, want)
	}
	// The query form gives the dot product with the decoded vector, its
	// values within the range asked for (127, or 63 for AVX2's tiles).
	qv := []float32{0.3, -2, 0.7}
	qi := make([]int8, 3)
	for _, top := range []int{127, 63} {
		scale, bias := q.query(qi, qv, top)
		var s, exact float32
		for d := range 3 {
			if qi[d] > int8(top) || qi[d] < -int8(top) {
				t.Errorf("top %d: query value %d", top, qi[d])
			}
			s += float32(qi[d]) * float32(codes[d])
			exact += qv[d] * (q.lo[d] + float32(codes[d])*q.step[d])
		}
		if got := bias + scale*s; abs32(got-exact) > 0.02*127/float32(top) {
			t.Errorf("top %d: quantised dot %g, decoded dot %g", top, got, exact)
		}
	}
	// Values beyond the fitted range clip to the end codes.
	q.encode(codes, []float32{-100, 100, 0})
	if codes[0] != 0 || codes[1] != 255 {
		t.Errorf("clipping: %v", codes)
	}
}

// TestExactQuantizedDense: 8 dimensions, 20,000 vectors, where the codes'
// error outweighs the gaps between neighbours: the widened candidates keep
// recall@10 at least 0.99.
func TestExactQuantizedDense(t *testing.T) {
	for _, m := range []Metric{Cosine, L2} {
		const dim, n = 8, 20000
		rng := rand.New(rand.NewPCG(42, 42))
		vecs := randomVecs(rng, n, dim)
		ids := seqIDs(n)
		e, _ := NewExact(dim, m)
		e.SetQuantize(true)
		if e.Quantized() {
			t.Fatal("8-dimensional vectors quantised; they stay on the float blocks")
		}
		e.q.on = true // the widening is what this tests
		e.AddBatch(ids, vecs)
		const nq = 30
		qs := randomVecs(rng, nq, dim)
		batch := e.SearchBatch(qs, nq, 10)
		var rec, recBatch float64
		for i := range nq {
			q := qs[i*dim : (i+1)*dim]
			want := bruteForce(m, ids, vecs, dim, q)
			rec += recallAt10(e.Search(q, 10), want)
			recBatch += recallAt10(batch[i], want)
		}
		if rec/nq < 0.99 || recBatch/nq < 0.99 {
			t.Errorf("%v: recall@10 %.4f single, %.4f batch", m, rec/nq, recBatch/nq)
		}
	}
}

// TestExactQuantizedVariedNorms: L2 over vectors whose norms vary 30-fold
// (as raw pixels' do), where the tiles' integer thresholds, made with a
// block's smallest norm, pass most rows and refineL2 must drop exactly
// the ones below the floor: batches equal single queries, recall@10 at
// least 0.99 of the float search.
func TestExactQuantizedVariedNorms(t *testing.T) {
	const dim, n, nq = 64, 3000, 70
	rng := rand.New(rand.NewPCG(43, 43))
	vecs := clusteredVecs(rng, n, dim, 30, 0.3)
	for i := range n {
		s := float32(0.1 + 2.9*rng.Float64())
		for d := range dim {
			vecs[i*dim+d] *= s
		}
	}
	ids := seqIDs(n)
	e, _ := NewExact(dim, L2)
	e.SetQuantize(true)
	if err := e.AddBatch(ids, vecs); err != nil {
		t.Fatal(err)
	}
	qs := make([]float32, nq*dim)
	for i := range nq {
		copy(qs[i*dim:(i+1)*dim], vecs[(i*37)*dim:(i*37+1)*dim])
		for d := range dim {
			qs[i*dim+d] += float32(rng.NormFloat64() * 0.05)
		}
	}
	batch := e.SearchBatch(qs, nq, 10)
	var rec float64
	for i := range nq {
		q := qs[i*dim : (i+1)*dim]
		got := e.Search(q, 10)
		if !slices.Equal(batch[i], got) {
			t.Fatalf("query %d: batch %v differs from single %v", i, batch[i], got)
		}
		rec += recallAt10(got, bruteForce(L2, ids, vecs, dim, q))
	}
	if rec /= nq; rec < 0.99 {
		t.Errorf("recall@10 %.4f of the float exact search, want >= 0.99", rec)
	}
}
