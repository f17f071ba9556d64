package index

import (
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"reflect"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
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

func TestHNSWDeterministic(t *testing.T) {
	const dim, n = 16, 1500
	rng := rand.New(rand.NewPCG(12, 12))
	vecs := clusteredVecs(rng, n, dim, 20, 0.2)
	build := func(seed uint64) *HNSW {
		h, _ := NewHNSW(dim, L2, HNSWConfig{M: 8, EfConstruction: 50, Seed: seed})
		for i := 0; i < n; i += 100 {
			if err := h.AddBatch(seqIDs(n)[i:i+100], vecs[i*dim:(i+100)*dim]); err != nil {
				t.Fatal(err)
			}
		}
		return h
	}
	a, b, c := build(1), build(1), build(2)
	// Compare the node records bit for bit: empty list slots are NaNs.
	bits := func(h *HNSW) []uint32 {
		out := make([]uint32, len(h.data))
		for i, v := range h.data {
			out[i] = math.Float32bits(v)
		}
		return out
	}
	if !slices.Equal(bits(a), bits(b)) || !reflect.DeepEqual(a.upper, b.upper) || !reflect.DeepEqual(a.levels, b.levels) {
		t.Fatal("same seed built different graphs")
	}
	if reflect.DeepEqual(a.levels, c.levels) {
		t.Fatal("different seeds drew the same levels")
	}
}

func TestHNSWDeleteAndCompact(t *testing.T) {
	const dim, n, k, nq = 16, 4000, 10, 100
	rng := rand.New(rand.NewPCG(13, 13))
	all := randomVecs(rng, n+nq, dim)
	vecs, qs := all[:n*dim], all[n*dim:]
	h, _ := NewHNSW(dim, Cosine, HNSWConfig{M: 8, EfConstruction: 64, Seed: 3, BuildWorkers: 2})
	ids := seqIDs(n)
	if err := h.AddBatch(ids, vecs); err != nil {
		t.Fatal(err)
	}
	// Delete 40%, including (very likely) the entry point.
	e, _ := NewExact(dim, Cosine)
	epn, _, _ := h.loadEntry()
	h.Delete(h.ids[epn])
	for i, id := range ids {
		if uint32(i) == epn || rng.Float64() < 0.4 {
			h.Delete(id)
			continue
		}
		e.Add(id, vecs[i*dim:(i+1)*dim])
	}
	if h.Len() != e.Len() || h.Deleted() != n-e.Len() {
		t.Fatalf("Len %d Deleted %d, want %d live", h.Len(), h.Deleted(), e.Len())
	}
	check := func(stage string) {
		want := e.SearchBatch(qs, nq, k)
		got := h.SearchBatch(qs, nq, k)
		var sum float64
		for i := range nq {
			for _, r := range got[i] {
				if _, ok := e.Vector(r.ID); !ok {
					t.Fatalf("%s: deleted id %d returned", stage, r.ID)
				}
			}
			if len(got[i]) != k {
				t.Fatalf("%s: %d results, want %d", stage, len(got[i]), k)
			}
			sum += recall(got[i], want[i])
		}
		t.Logf("%s: recall@%d = %.4f", stage, k, sum/nq)
		if sum/nq < 0.9 {
			t.Errorf("%s: recall@%d = %.4f, want >= 0.9", stage, k, sum/nq)
		}
	}
	check("tombstoned")
	if removed := h.Compact(); removed != n-e.Len() {
		t.Fatalf("Compact removed %d, want %d", removed, n-e.Len())
	}
	if h.Deleted() != 0 || len(h.ids) != e.Len() {
		t.Fatalf("after Compact: %d nodes, %d deleted", len(h.ids), h.Deleted())
	}
	check("compacted")
	// The graph keeps working for inserts after compaction.
	more := randomVecs(rng, 500, dim)
	for i := range 500 {
		id := uint64(n + 1 + i)
		h.Add(id, more[i*dim:(i+1)*dim])
		e.Add(id, more[i*dim:(i+1)*dim])
	}
	check("re-grown")
	// Deleting everything empties searches; adding again works.
	for _, id := range slices.Collect(maps.Keys(h.nodeOf)) {
		h.Delete(id)
	}
	if r := h.Search(qs[:dim], 5); len(r) != 0 {
		t.Fatalf("empty graph returned %v", r)
	}
	h.Compact()
	h.Add(1, qs[:dim])
	if r := h.Search(qs[:dim], 5); len(r) != 1 || r[0].ID != 1 {
		t.Fatalf("after emptying: %v", r)
	}
}

// TestHNSWConcurrent inserts while searching; run with -race.
func TestHNSWConcurrent(t *testing.T) {
	const dim = 8
	n := 2000
	if raceEnabled {
		n = 600
	}
	rng := rand.New(rand.NewPCG(14, 14))
	vecs := randomVecs(rng, n, dim)
	qs := randomVecs(rng, 50, dim)
	h, _ := NewHNSW(dim, L2, HNSWConfig{M: 6, EfConstruction: 32, BuildWorkers: 3})
	var wg sync.WaitGroup
	var done atomic.Bool
	for w := range 2 { // writers: single adds and parallel batches
		wg.Go(func() {
			for i := w; i < n/20; i += 2 {
				lo, hi := i*20, (i+1)*20
				if w == 0 {
					for j := lo; j < hi; j++ {
						h.Add(uint64(j+1), vecs[j*dim:(j+1)*dim])
					}
				} else {
					h.AddBatch(seqIDs(hi)[lo:hi], vecs[lo*dim:hi*dim])
				}
				if i%7 == 0 {
					h.Delete(uint64(lo + 1))
				}
				if i%25 == 0 {
					h.Compact()
				}
			}
		})
	}
	var searchers sync.WaitGroup
	for range 3 {
		searchers.Go(func() {
			for !done.Load() {
				for i := range 50 {
					h.SearchEf(qs[i*dim:(i+1)*dim], 5, 20)
				}
				h.SearchBatch(qs, 50, 3)
				h.Vector(1)
				h.Len()
			}
		})
	}
	wg.Wait()
	done.Store(true)
	searchers.Wait()
	// Every live vector must be reachable: searching for it finds it.
	h.mu.RLock()
	live := slices.Collect(maps.Keys(h.nodeOf))
	h.mu.RUnlock()
	missed := 0
	for _, id := range live {
		v := vecs[(id-1)*dim : id*dim]
		if r := h.SearchEf(v, 1, 50); len(r) == 0 || r[0].Score > 1e-6 {
			missed++
		}
	}
	if missed > len(live)/100 {
		t.Fatalf("%d of %d live vectors not found by their own query", missed, len(live))
	}
}

// TestIndexConcurrent adds, deletes, compacts and searches a persistent
// index at once; run with -race.
func TestIndexConcurrent(t *testing.T) {
	for _, kind := range []Kind{KindExact, KindHNSW} {
		t.Run(kind.String(), func(t *testing.T) {
			ix := mustOpen(t, t.TempDir(), testOptions(kind))
			defer ix.Close()
			rng := rand.New(rand.NewPCG(15, 15))
			batches := make([][]Entry, 20)
			for i := range batches {
				batches[i] = testEntries(rng, 10, fmt.Sprint(i))
			}
			qs := randomVecs(rng, 10, testDim)
			var wg sync.WaitGroup
			var done atomic.Bool
			wg.Go(func() {
				defer done.Store(true)
				for i, b := range batches {
					ids, err := ix.AddBatch(b)
					if err != nil {
						t.Error(err)
						return
					}
					if i%3 == 0 {
						ix.Delete(ids[0])
					}
					if i%8 == 0 {
						if err := ix.Compact(); err != nil {
							t.Error(err)
						}
					}
				}
			})
			for range 2 {
				wg.Go(func() {
					for !done.Load() {
						if _, err := ix.SearchBatch(qs, 10, 5); err != nil {
							t.Error(err)
						}
						for e := range ix.All() {
							ix.Has(e.Path)
						}
						ix.Stats()
					}
				})
			}
			wg.Wait()
			if want := 200 - 7; ix.Len() != want {
				t.Fatalf("Len %d, want %d", ix.Len(), want)
			}
		})
	}
}

// TestHNSWParallelBuildReachable builds a graph with two workers from
// vectors in cluster order (as a folder of images sorted by class gives),
// so that the workers link neighbours at the same time, and checks that
// every node keeps an incoming link on layer 0. Linking a new node used
// to overwrite the links other workers had meanwhile given it, which left
// some nodes unreachable.
func TestHNSWParallelBuildReachable(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		t.Skip("needs 2 CPUs")
	}
	const dim, nclusters, per = 8, 10, 600
	n := nclusters * per
	if raceEnabled {
		n /= 4
	}
	rng := rand.New(rand.NewPCG(16, 16))
	vecs := clusteredVecs(rng, n, dim, nclusters, 0.05)
	// Sort by cluster: nearest centre.
	centres := randomVecs(rand.New(rand.NewPCG(16, 16)), nclusters, dim)
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	nearest := func(i int) int {
		best, bd := 0, float32(math.Inf(1))
		for c := range nclusters {
			if d := l2sq(vecs[i*dim:(i+1)*dim], centres[c*dim:(c+1)*dim]); d < bd {
				best, bd = c, d
			}
		}
		return best
	}
	slices.SortStableFunc(order, func(a, b int) int { return nearest(a) - nearest(b) })
	sorted := make([]float32, 0, len(vecs))
	for _, i := range order {
		sorted = append(sorted, vecs[i*dim:(i+1)*dim]...)
	}
	for round := range 3 {
		h, _ := NewHNSW(dim, Cosine, HNSWConfig{M: 16, EfConstruction: 100, Seed: uint64(round), BuildWorkers: 2})
		if err := h.AddBatch(seqIDs(n), sorted); err != nil {
			t.Fatal(err)
		}
		indeg := make([]int, n)
		for u := range n {
			for _, e := range h.neighbours(uint32(u), 0, nil) {
				indeg[e]++
			}
		}
		if zero := slices.Index(indeg, 0); zero >= 0 && uint32(zero) != uint32(h.entry.Load()) {
			t.Fatalf("round %d: node %d has no incoming link on layer 0 (%d such nodes)", round, zero, n-len(slices.DeleteFunc(indeg, func(d int) bool { return d == 0 })))
		}
	}
}

// TestCandKey checks that candidates sorted by candKey come out in
// candCmp's order, and that keyCand inverts it, on negative, zero (both
// signs), tiny, huge and equal distances.
func TestCandKey(t *testing.T) {
	ds := []float32{-3, -1e-30, float32(math.Copysign(0, -1)), 0, 1e-38, 2, 2, 3.3e38, -3.3e38, 1}
	var cs []cand
	for i, d := range ds {
		cs = append(cs, cand{d, uint32(len(ds) - i)})
	}
	want := slices.Clone(cs)
	slices.SortFunc(want, candCmp)
	keys := make([]uint64, len(cs))
	for i, c := range cs {
		keys[i] = candKey(c)
	}
	slices.Sort(keys)
	for i, k := range keys {
		got := keyCand(k)
		if got.n != want[i].n || got.d != want[i].d {
			t.Fatalf("position %d: %v, want %v", i, got, want[i])
		}
	}
}
