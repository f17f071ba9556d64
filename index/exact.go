package index

import (
	"fmt"
	"math"
	"runtime"
	"sync"

	"github.com/lookalike/lookalike/kernels"
)

// Block sizes of the batched scan: a block of exactQueryBlock queries is
// scored against exactRowBlock stored vectors per Sgemm call, so the score
// block (queries x rows float32, 1 MiB) stays in L2 cache. Bigger blocks
// than these (64 x 256 before) spend less time packing and calling.
const (
	exactQueryBlock = 256
	exactRowBlock   = 1024
	// exactParallelWork is the number of multiply-adds below which a search
	// runs on the calling goroutine only.
	exactParallelWork = 1 << 20
)

// Exact is a flat index: it compares a query with every stored vector, so
// its results are exact. Vectors are stored contiguously in one slice;
// deletion moves the last vector into the freed row.
//
// An Exact is safe for concurrent use; searches run in parallel with each
// other and wait for writes.
type Exact struct {
	dim    int
	metric Metric

	mu     sync.RWMutex
	data   []float32  // row i is data[i*dim : (i+1)*dim]
	sqnorm []float32  // |row i|², used by L2 batch scoring
	blocks []float32  // short vectors: data in blocks (exact_blocks.go)
	q      quantState // int8 codes (exact_int8.go)
	vf     *vecFile   // when not nil, data lies in this file (vecfile.go)
	vfErr  error      // why data moved back to the heap, if it did
	ids    []uint64
	rows   map[uint64]int

	// Test hooks: the work below which searches use one goroutine
	// (0: exactParallelWork) and the most goroutines (0: GOMAXPROCS).
	minWork, maxProcs int
}

// NewExact returns an empty exact index of vectors of length dim compared
// by metric.
func NewExact(dim int, metric Metric) (*Exact, error) {
	if dim <= 0 {
		return nil, fmt.Errorf("new exact index: dimension %d: %w", dim, ErrDimMismatch)
	}
	if !metric.valid() {
		return nil, fmt.Errorf("new exact index: invalid metric %v", metric)
	}
	return &Exact{dim: dim, metric: metric, rows: make(map[uint64]int)}, nil
}

// Dim returns the vector length.
func (e *Exact) Dim() int { return e.dim }

// Metric returns the metric vectors are compared by.
func (e *Exact) Metric() Metric { return e.metric }

// Len returns the number of stored vectors.
func (e *Exact) Len() int {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return len(e.ids)
}

// Add stores v under id, replacing any vector already stored under it.
func (e *Exact) Add(id uint64, v []float32) error {
	return e.AddBatch([]uint64{id}, v)
}

// AddBatch stores len(ids) vectors, concatenated in vecs, under ids.
// Later duplicates of an ID replace earlier ones.
func (e *Exact) AddBatch(ids []uint64, vecs []float32) error {
	if len(vecs) != len(ids)*e.dim {
		return fmt.Errorf("exact add: %d values for %d vectors of dim %d: %w", len(vecs), len(ids), e.dim, ErrDimMismatch)
	}
	p, err := prepare(vecs, e.dim, e.metric)
	if err != nil {
		return fmt.Errorf("exact add: %w", err)
	}
	e.addPrepared(ids, p)
	return nil
}

// addPrepared stores vectors that are already validated and normalised.
func (e *Exact) addPrepared(ids []uint64, vecs []float32) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.reserve(len(e.data) + len(vecs))
	for i, id := range ids {
		v := vecs[i*e.dim : (i+1)*e.dim]
		if r, ok := e.rows[id]; ok {
			copy(e.data[r*e.dim:], v)
			e.sqnorm[r] = dot(v, v)
			if e.blocked() {
				e.setBlockRow(r, v)
			}
			e.codeRow(r)
			continue
		}
		if e.blocked() {
			e.setBlockRow(len(e.ids), v)
		}
		e.rows[id] = len(e.ids)
		e.ids = append(e.ids, id)
		e.data = append(e.data, v...)
		e.sqnorm = append(e.sqnorm, dot(v, v))
		e.codeRow(len(e.ids) - 1)
	}
}

// Delete removes the vector stored under id and reports whether there was
// one.
func (e *Exact) Delete(id uint64) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	r, ok := e.rows[id]
	if !ok {
		return false
	}
	delete(e.rows, id)
	last := len(e.ids) - 1
	if r != last {
		copy(e.data[r*e.dim:(r+1)*e.dim], e.data[last*e.dim:])
		e.sqnorm[r] = e.sqnorm[last]
		e.ids[r] = e.ids[last]
		e.rows[e.ids[r]] = r
		if e.blocked() {
			e.setBlockRow(r, e.data[r*e.dim:(r+1)*e.dim])
		}
		e.codeRow(r)
	}
	if e.blocked() {
		e.dropBlockRow(last)
	}
	e.truncCodes(last)
	e.ids = e.ids[:last]
	e.data = e.data[:last*e.dim]
	e.sqnorm = e.sqnorm[:last]
	return true
}

// Vector returns a copy of the vector stored under id.
func (e *Exact) Vector(id uint64) ([]float32, bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	r, ok := e.rows[id]
	if !ok {
		return nil, false
	}
	return append([]float32(nil), e.data[r*e.dim:(r+1)*e.dim]...), true
}

// view calls fn with the stored IDs and vectors, in storage order, while
// holding the read lock. fn must not keep or modify them.
func (e *Exact) view(fn func(ids []uint64, vecs []float32) error) error {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return fn(e.ids, e.data)
}

// Search returns the k stored vectors best matching q, best first (see the
// package documentation for scores). It panics if len(q) != Dim().
func (e *Exact) Search(q []float32, k int) []Result {
	if len(q) != e.dim {
		panic(fmt.Sprintf("index: Exact.Search: query of length %d, want %d", len(q), e.dim))
	}
	qq := append([]float32(nil), q...)
	if e.metric == Cosine {
		normalize(qq)
	}
	if e.Quantized() {
		return e.searchQuantized(qq, k, true)
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	n := len(e.ids)
	if k <= 0 || n == 0 {
		return nil
	}
	k = min(k, n)
	workers := e.workers(n * e.dim)
	if workers == 1 {
		t := newTopK(k)
		e.scanRows(qq, 0, n, t)
		return e.finish(t.sorted(), qq)
	}
	parts := make([]*topK, workers)
	var wg sync.WaitGroup
	for w := range parts {
		parts[w] = newTopK(k)
		lo, hi := n*w/workers, n*(w+1)/workers
		wg.Go(func() { e.scanRows(qq, lo, hi, parts[w]) })
	}
	wg.Wait()
	for _, p := range parts[1:] {
		parts[0].merge(p)
	}
	return e.finish(parts[0].sorted(), qq)
}

// workers returns how many goroutines a scan of work multiply-adds uses.
func (e *Exact) workers(work int) int {
	minWork, procs := e.minWork, e.maxProcs
	if minWork == 0 {
		minWork = exactParallelWork
	}
	if procs == 0 {
		procs = runtime.GOMAXPROCS(0)
	}
	if work < minWork {
		return 1
	}
	return max(1, min(procs, work/minWork))
}

// smallDim is the largest dimension for which scanRows scores rows in the
// block layout (exact_blocks.go; 4x faster than an Sgemm call per 1,024
// rows at 8 dimensions, which was 2x faster than a Dot call a row);
// scanBlock is the rows per kernel call, a multiple of kernels.BlockRows.
const (
	smallDim  = 32
	scanBlock = 1024
)

// scanRows offers rows [lo, hi) to t, keyed so that higher is better:
// the dot product, or minus the squared distance for L2.
func (e *Exact) scanRows(q []float32, lo, hi int, t *topK) {
	if e.blocked() {
		e.scanBlocks(q, lo, hi, t)
		return
	}
	d := e.dim
	thr := t.threshold()
	for i := lo; i < hi; i++ {
		row := e.data[i*d : (i+1)*d : (i+1)*d]
		var key float32
		if e.metric == L2 {
			key = -l2sq(q, row)
		} else {
			key = dot(q, row)
		}
		if key >= thr {
			t.push(e.ids[i], key)
			thr = t.threshold()
		}
	}
}

// finish turns keys from scanRows into scores.
func (e *Exact) finish(rs []Result, q []float32) []Result {
	if e.metric == L2 {
		for i := range rs {
			rs[i].Score = float32(math.Sqrt(float64(max(0, -rs[i].Score))))
		}
	}
	return rs
}

// SearchBatch searches nq queries concatenated in qs and returns the k best
// matches of each, as Search would. Queries are scored in blocks with
// [kernels.Sgemm], and big batches are spread over all CPUs. It panics if
// len(qs) != nq*Dim().
func (e *Exact) SearchBatch(qs []float32, nq, k int) [][]Result {
	if nq < 0 || len(qs) != nq*e.dim {
		panic(fmt.Sprintf("index: Exact.SearchBatch: %d values for %d queries of dim %d", len(qs), nq, e.dim))
	}
	out := make([][]Result, nq)
	if nq == 0 || k <= 0 {
		return out
	}
	if e.Quantized() {
		e.ensureCodes()
		return e.searchBatchQuantized(qs, nq, k)
	}
	if nq < 4 {
		for i := range out {
			out[i] = e.Search(qs[i*e.dim:(i+1)*e.dim], k)
		}
		return out
	}
	d := e.dim
	q := append([]float32(nil), qs...)
	if e.metric == Cosine {
		for i := 0; i < nq; i++ {
			normalize(q[i*d : (i+1)*d])
		}
	}

	e.mu.RLock()
	defer e.mu.RUnlock()
	n := len(e.ids)
	if n == 0 {
		return out
	}
	k = min(k, n)

	// Work items: (query block, row range). Big batches split by query
	// block only; small batches over big indexes also split the rows.
	nblocks := (nq + exactQueryBlock - 1) / exactQueryBlock
	workers := e.workers(nq * n * d)
	splits := 1
	if nblocks < workers {
		splits = workers
	}
	type item struct{ block, split int }
	items := make([]item, 0, nblocks*splits)
	for b := 0; b < nblocks; b++ {
		for s := 0; s < splits; s++ {
			items = append(items, item{b, s})
		}
	}
	heaps := make([][]*topK, splits) // heaps[split][query]
	for s := range heaps {
		heaps[s] = make([]*topK, nq)
		for j := range heaps[s] {
			heaps[s][j] = newTopK(k)
		}
	}
	run := func(next func() (item, bool)) {
		c := make([]float32, exactRowBlock*exactQueryBlock)
		for it, ok := next(); ok; it, ok = next() {
			q0 := it.block * exactQueryBlock
			qb := min(exactQueryBlock, nq-q0)
			lo, hi := n*it.split/splits, n*(it.split+1)/splits
			e.scanBlock(q[q0*d:(q0+qb)*d], qb, lo, hi, heaps[it.split][q0:q0+qb], c)
		}
	}
	if workers == 1 {
		i := 0
		run(func() (item, bool) {
			if i == len(items) {
				return item{}, false
			}
			i++
			return items[i-1], true
		})
	} else {
		var mu sync.Mutex
		i := 0
		next := func() (item, bool) {
			mu.Lock()
			defer mu.Unlock()
			if i == len(items) {
				return item{}, false
			}
			i++
			return items[i-1], true
		}
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() { run(next) })
		}
		wg.Wait()
	}
	for j := range out {
		t := heaps[0][j]
		for s := 1; s < splits; s++ {
			t.merge(heaps[s][j])
		}
		rs := t.sorted()
		if e.metric == L2 {
			// The expanded form |q|²-2q·x+|x|² loses precision for near
			// points; recompute the winners' distances directly.
			qj := q[j*d : (j+1)*d]
			for i := range rs {
				r := e.rows[rs[i].ID]
				rs[i].Score = -l2sq(qj, e.data[r*d:(r+1)*d])
			}
			sortResults(rs)
			rs = e.finish(rs, nil)
		}
		out[j] = rs
	}
	return out
}

// scanBlock scores rows [lo, hi) against the qb queries of qs (qb x d,
// row-major) and offers them to heaps. Keys are dot products, or 2q·x-|x|²
// for L2 (the squared distance minus |q|², negated). c is scratch space.
// The scores come out query by query (c is qb x rows), so each query's
// scan is one tight loop against its own threshold.
func (e *Exact) scanBlock(qs []float32, qb, lo, hi int, heaps []*topK, c []float32) {
	d := e.dim
	alpha := float32(1)
	if e.metric == L2 {
		alpha = 2
	}
	for r0 := lo; r0 < hi; r0 += exactRowBlock {
		rows := min(exactRowBlock, hi-r0)
		kernels.Sgemm(false, true, qb, rows, d, alpha, qs, d, e.data[r0*d:], d, 0, c, rows)
		ids := e.ids[r0 : r0+rows]
		for j, t := range heaps {
			crow := c[j*rows : (j+1)*rows : (j+1)*rows]
			thr := t.threshold()
			if e.metric == L2 {
				norms := e.sqnorm[r0 : r0+rows]
				for i, s := range crow {
					if s -= norms[i]; s >= thr {
						t.push(ids[i], s)
						thr = t.threshold()
					}
				}
				continue
			}
			for i, s := range crow {
				if s >= thr {
					t.push(ids[i], s)
					thr = t.threshold()
				}
			}
		}
	}
}
