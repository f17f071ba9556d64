package eval

import (
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/lookalike/lookalike/kernels"
)

// blockFloats bounds the similarity rows a worker holds at once (4 MiB of
// float32), so memory stays O(workers * blockFloats) rather than O(n^2).
const blockFloats = 1 << 20

// maxBlockRows caps the queries in one block.
const maxBlockRows = 256

// scorer computes dot-product similarities of queries against every row of
// an embedding matrix, one block of queries at a time.
type scorer struct {
	emb  []float32 // n x dim, row-major
	embT []float32 // dim x n, the transpose, so Sgemm streams contiguous rows
	dim  int
	n    int
}

func newScorer(emb []float32, dim int) *scorer {
	n := len(emb) / dim
	embT := make([]float32, len(emb))
	for i := 0; i < n; i++ {
		row := emb[i*dim : (i+1)*dim]
		for d, v := range row {
			embT[d*n+i] = v
		}
	}
	return &scorer{emb: emb, embT: embT, dim: dim, n: n}
}

// workers is the number of goroutines scoring runs on.
func workers() int {
	return max(1, runtime.NumCPU())
}

// blockRows is the number of queries scored per Sgemm call.
func (s *scorer) blockRows() int {
	return min(maxBlockRows, max(1, blockFloats/max(1, s.n)))
}

// each calls fn(worker, qi, row) for every position qi in queries, where row
// holds the similarity of item queries[qi] to every item. Calls run in
// parallel on up to workers() goroutines; worker (in [0, workers())) is
// stable within a goroutine so fn can keep per-worker scratch space. row is
// only valid during the call.
func (s *scorer) each(queries []int, fn func(worker, qi int, row []float32)) {
	nq := len(queries)
	if nq == 0 || s.n == 0 {
		return
	}
	bs := s.blockRows()
	nblocks := (nq + bs - 1) / bs
	nw := min(workers(), nblocks)
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < nw; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sims := make([]float32, bs*s.n)
			qbuf := make([]float32, bs*s.dim)
			for {
				b := int(next.Add(1)) - 1
				if b >= nblocks {
					return
				}
				lo, hi := b*bs, min((b+1)*bs, nq)
				m := hi - lo
				a := s.gather(queries[lo:hi], qbuf)
				kernels.Sgemm(false, false, m, s.n, s.dim, 1, a, s.dim, s.embT, s.n, 0, sims, s.n)
				for r := 0; r < m; r++ {
					fn(w, lo+r, sims[r*s.n:(r+1)*s.n])
				}
			}
		}()
	}
	wg.Wait()
}

// gather returns the query rows as one m x dim matrix, sliced straight out
// of emb when the queries are consecutive and copied into buf otherwise.
func (s *scorer) gather(q []int, buf []float32) []float32 {
	consecutive := true
	for i := 1; i < len(q); i++ {
		if q[i] != q[0]+i {
			consecutive = false
			break
		}
	}
	if consecutive {
		return s.emb[q[0]*s.dim : (q[0]+len(q))*s.dim]
	}
	for i, qi := range q {
		copy(buf[i*s.dim:(i+1)*s.dim], s.emb[qi*s.dim:(qi+1)*s.dim])
	}
	return buf[:len(q)*s.dim]
}
