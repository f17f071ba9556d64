package index

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestHNSWQuantized checks int8 graph search against the float graph and
// exact search: recall@10 within 0.01 of the float graph's at the same ef,
// results carrying the float scores, batches equal to single searches,
// and the codes following added, deleted and compacted nodes.
func TestHNSWQuantized(t *testing.T) {
	for _, m := range []Metric{Cosine, L2, Dot} {
		t.Run(m.String(), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(11, uint64(m)))
			const dim, n, nq = 48, 6000, 50
			vecs := clusteredVecs(rng, n, dim, 40, 0.3)
			ids := seqIDs(n)
			cfg := HNSWConfig{Seed: 3, BuildWorkers: 1}
			hf, _ := NewHNSW(dim, m, cfg)
			hq, _ := NewHNSW(dim, m, cfg)
			hq.SetQuantize(true)
			if !hq.Quantized() {
				t.Fatal("Quantized() = false after SetQuantize(true)")
			}
			half := n / 2
			for _, h := range []*HNSW{hf, hq} {
				if err := h.AddBatch(ids[:half], vecs[:half*dim]); err != nil {
					t.Fatal(err)
				}
			}
			check := func(stage string, ids []uint64, vecs []float32) {
				t.Helper()
				qs := clusteredVecs(rng, nq, dim, 40, 0.3)
				batch := hq.SearchBatch(qs, nq, 10)
				var recF, recQ float64
				for i := range nq {
					q := qs[i*dim : (i+1)*dim]
					want := bruteForce(m, ids, vecs, dim, q)
					got := hq.Search(q, 10)
					recF += recallAt10(hf.Search(q, 10), want)
					recQ += recallAt10(got, want)
					if len(batch[i]) != len(got) || batch[i][0] != got[0] {
						t.Fatalf("%s: batch %v differs from single %v", stage, batch[i][:1], got[:1])
					}
					for _, r := range got {
						v, _ := hq.Vector(r.ID)
						var f float32
						switch m {
						case L2:
							f = float32(math.Sqrt(float64(l2sq(q, v))))
						case Cosine:
							qq := append([]float32(nil), q...)
							normalize(qq)
							f = dot(qq, v)
						default:
							f = dot(q, v)
						}
						if abs32(f-r.Score) > 1e-4 {
							t.Fatalf("%s: score %g of %d, float %g", stage, r.Score, r.ID, f)
						}
					}
				}
				recF, recQ = recF/nq, recQ/nq
				t.Logf("%s: recall@10 float graph %.4f, int8 graph %.4f", stage, recF, recQ)
				if recQ < recF-0.01 {
					t.Errorf("%s: int8 recall@10 %.4f, float graph %.4f", stage, recQ, recF)
				}
				if HNSWCodeBytes(hq) != hq.Len()*(dim+4)+hq.Deleted()*(dim+4) {
					t.Errorf("%s: %d code bytes for %d nodes", stage, HNSWCodeBytes(hq), hq.Len()+hq.Deleted())
				}
			}
			check("first half", ids[:half], vecs[:half*dim])
			for _, h := range []*HNSW{hf, hq} {
				if err := h.AddBatch(ids[half:], vecs[half*dim:]); err != nil {
					t.Fatal(err)
				}
			}
			check("all", ids, vecs)
			var keptIDs []uint64
			var keptVecs []float32
			for i, id := range ids {
				if i%3 == 0 {
					hf.Delete(id)
					hq.Delete(id)
					continue
				}
				keptIDs = append(keptIDs, id)
				keptVecs = append(keptVecs, vecs[i*dim:(i+1)*dim]...)
			}
			check("deleted", keptIDs, keptVecs)
			hf.Compact()
			hq.Compact()
			check("compacted", keptIDs, keptVecs)
		})
	}
}

// TestQuantizerPersisted checks that the int8 quantiser goes into the
// snapshot and comes back bit for bit, so that the codes and results of a
// reopened index are those before it closed, for the exact index and the
// graph; and that an index opened without int8 ignores it.
func TestQuantizerPersisted(t *testing.T) {
	for _, kind := range []Kind{KindExact, KindHNSW} {
		t.Run(kind.String(), func(t *testing.T) {
			const dim, n = 40, 3000
			rng := rand.New(rand.NewPCG(21, 22))
			dir := t.TempDir()
			opts := Options{
				Meta: Meta{Model: "sha256:test", Dim: dim, Metric: L2},
				Kind: kind, Int8: true,
				HNSW: HNSWConfig{M: 8, EfConstruction: 64, Seed: 7},
			}
			vecs := clusteredVecs(rng, n, dim, 20, 0.3)
			es := make([]Entry, n)
			for i := range es {
				es[i] = Entry{Path: fmt.Sprintf("p/%d", i), Vector: vecs[i*dim : (i+1)*dim]}
			}
			ix := mustOpen(t, dir, opts)
			if _, err := ix.AddBatch(es); err != nil {
				t.Fatal(err)
			}
			q := clusteredVecs(rng, 1, dim, 20, 0.3)
			before, err := ix.Search(q, 10)
			if err != nil {
				t.Fatal(err)
			}
			sq, fitAt := ix.vi.quantizer()
			if sq == nil || fitAt != n {
				t.Fatalf("quantiser %v fitted at %d, want one at %d", sq, fitAt, n)
			}
			if err := ix.Compact(); err != nil {
				t.Fatal(err)
			}
			ix.Close()

			ix = mustOpen(t, dir, opts)
			sq2, fitAt2 := ix.vi.quantizer()
			if sq2 == nil || fitAt2 != fitAt || !slices.Equal(sq2.lo, sq.lo) || !slices.Equal(sq2.step, sq.step) || !slices.Equal(sq2.cvar, sq.cvar) {
				t.Fatalf("reopened quantiser %v at %d, want %v at %d", sq2, fitAt2, sq, fitAt)
			}
			after, err := ix.Search(q, 10)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(after, before) {
				t.Fatalf("after reopening %v, before %v", after, before)
			}
			ix.Close()

			plain := opts
			plain.Int8 = false
			ix = mustOpen(t, dir, plain)
			if sq3, _ := ix.vi.quantizer(); sq3 != nil {
				t.Fatal("an index opened without int8 took the snapshot's quantiser")
			}
			ix.Close()
		})
	}
}
