package index

import (
	"math"
	"math/bits"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/lookalike/lookalike/kernels"
)

// int8 search of an exact index (SetQuantize): the rows are also kept as
// int8 codes (quantize.go), a byte a dimension; a search scores every row's
// codes with integer products, keeps the best few times k, and re-ranks
// those with the float vectors, so that the results are the float
// scores of the best candidates.
//
// The quantiser is fitted to the rows present at the first search, and
// fitted again when the index has grown tenfold since (up to 100,000 rows
// fitted on); later rows are coded with it, values beyond its ranges
// clipped.

// quantState is the int8 side of an Exact, guarded by Exact.mu.
type quantState struct {
	on    bool
	sq    *sq8
	fitAt int       // rows when sq was fitted
	codes []uint8   // row i is codes[i*dim : (i+1)*dim]
	norms []float32 // |decoded row i|², for L2
}

// int8Candidates is how many candidates per result the codes keep for
// re-ranking, and int8MinCandidates the fewest.
const (
	int8Candidates    = 4
	int8MinCandidates = 40
)

// SetQuantize turns int8 scalar-quantised search on or off. On, searches
// score the stored vectors' int8 codes and re-rank the best 4k (at least
// 40) candidates, and any row the codes' error could hide, with the float
// vectors. Vectors of up to 32 dimensions stay on the float path: their
// 16-row blocks are faster than codes, whose error on such short vectors
// asks for many candidates (Quantized reports false).
func (e *Exact) SetQuantize(on bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.q = quantState{on: on && !e.blocked()}
}

// Quantized reports whether searches use the int8 codes.
func (e *Exact) Quantized() bool {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.q.on
}

// codeBytes returns the memory the codes take, in bytes.
func (e *Exact) codeBytes() int {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return len(e.q.codes) + 4*len(e.q.norms)
}

// refit reports whether the quantiser should be fitted (again).
func (q *quantState) refit(n int) bool {
	return q.sq == nil || (q.fitAt < 100_000 && n >= 10*max(q.fitAt, 100))
}

// ensureCodes fits the quantiser and codes the rows when needed.
func (e *Exact) ensureCodes() {
	e.mu.RLock()
	need := e.q.on && e.q.refit(len(e.ids)) && len(e.ids) > 0
	e.mu.RUnlock()
	if !need {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	n := len(e.ids)
	if !e.q.on || !e.q.refit(n) || n == 0 {
		return
	}
	fit := min(n, 100_000)
	e.q.sq = fitSQ8(e.data[:fit*e.dim], e.dim)
	e.q.fitAt = n
	e.q.codes = make([]uint8, n*e.dim)
	e.q.norms = make([]float32, n)
	for i := range n {
		e.q.norms[i] = e.q.sq.encode(e.q.codes[i*e.dim:(i+1)*e.dim], e.data[i*e.dim:(i+1)*e.dim])
	}
	e.q.sq.fitCodeVariance(e.q.codes, e.dim)
}

// quantizer returns the quantiser and the rows it was fitted at.
func (e *Exact) quantizer() (*sq8, int) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.q.sq, e.q.fitAt
}

// setQuantizer installs sq (from a snapshot) and codes every row with it,
// when int8 search is on.
func (e *Exact) setQuantizer(sq *sq8, fitAt int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.q.on {
		return
	}
	n, d := len(e.ids), e.dim
	e.q.sq, e.q.fitAt = sq, fitAt
	e.q.codes = make([]uint8, n*d)
	e.q.norms = make([]float32, n)
	for i := range n {
		e.q.norms[i] = sq.encode(e.q.codes[i*d:(i+1)*d], e.data[i*d:(i+1)*d])
	}
}

// codeRow keeps the codes in step with row r of data after a write; the
// caller holds mu.Lock.
func (e *Exact) codeRow(r int) {
	q := &e.q
	if q.sq == nil {
		return
	}
	d := e.dim
	if r*d == len(q.codes) {
		q.codes = append(q.codes, make([]uint8, d)...)
		q.norms = append(q.norms, 0)
	}
	q.norms[r] = q.sq.encode(q.codes[r*d:(r+1)*d], e.data[r*d:(r+1)*d])
}

// truncCodes drops the codes of the rows from n on.
func (e *Exact) truncCodes(n int) {
	if e.q.sq != nil {
		e.q.codes = e.q.codes[:n*e.dim]
		e.q.norms = e.q.norms[:n]
	}
}

// searchQuantized is Search through the codes; q is prepared (normalised
// for Cosine). With parallel, a big index is scanned on several
// goroutines.
func (e *Exact) searchQuantized(q []float32, k int, parallel bool) []Result {
	e.ensureCodes()
	e.mu.RLock()
	defer e.mu.RUnlock()
	n := len(e.ids)
	if k <= 0 || n == 0 {
		return nil
	}
	k = min(k, n)
	kc := min(n, max(int8Candidates*k, int8MinCandidates))
	qi := make([]int8, e.dim)
	scale, bias := e.q.sq.query(qi, q, 127)
	cands := newTopK(kc)
	if workers := e.workers(n * e.dim / 4); workers == 1 || !parallel {
		e.scanCodes(qi, []float32{scale}, []float32{bias}, 0, n, []*topK{cands}, nil)
	} else {
		parts := make([]*topK, workers)
		var wg sync.WaitGroup
		for w := range parts {
			parts[w] = newTopK(kc)
			lo, hi := n*w/workers, n*(w+1)/workers
			wg.Go(func() { e.scanCodes(qi, []float32{scale}, []float32{bias}, lo, hi, []*topK{parts[w]}, nil) })
		}
		wg.Wait()
		for _, p := range parts {
			cands.merge(p)
		}
	}
	e.widen(cands, qi, scale, bias, e.q.sq.margin(q, qi, scale), k)
	return e.rerank(q, cands, k)
}

// widen adds to cands, when the quantisation error could hide a true
// top-k row beyond them, every row whose approximate key lies within the
// margin of the k-th best (a second pass over the codes): on short, dense
// vectors the codes' error outweighs the gaps between neighbours, and more
// candidates keep the results exact. The caller holds mu.
func (e *Exact) widen(cands *topK, qi []int8, scale, bias, margin float32, k int) {
	floor, ok := e.widenFloor(cands, margin, k)
	if !ok {
		return
	}
	// cands is a plain list from here on, which is all rerank needs.
	cands.items = append(cands.items, e.scanCodesAbove(qi, scale, bias, floor, cands.items)...)
}

// widenFloor turns cands into a list sorted best first and returns the
// key floor (the k-th best key less the margin, twice it for L2) that
// every row whose decoded score could be among the k best reaches, and
// whether rows above it may be missing from cands.
func (e *Exact) widenFloor(cands *topK, margin float32, k int) (float32, bool) {
	if e.metric == L2 {
		margin *= 2
	}
	items := slices.Clone(cands.items)
	sortResults(items)
	full := len(items) >= cands.k
	cands.items = items
	if !full || len(items) <= k {
		return 0, false // every row is a candidate already
	}
	floor := items[k-1].Score - margin
	return floor, floor < items[len(items)-1].Score
}

// scanCodes offers rows [lo, hi) to heaps[j] keyed by query j's
// approximate score from the codes (one query, or four scored together):
// higher is better, 2q·x-|x|² for L2 (|q|² being the same for every row).
// qi holds the queries' int8 forms back to back; buf, when at least 4,096
// long, is scratch space. The caller holds mu.
func (e *Exact) scanCodes(qi []int8, scale, bias []float32, lo, hi int, heaps []*topK, buf []int32) {
	const block = 1024
	d, g := e.dim, len(heaps)
	out := buf
	if len(out) < g*block {
		out = make([]int32, g*block)
	}
	thr := make([]float32, g)
	for j, t := range heaps {
		thr[j] = t.threshold()
	}
	for r0 := lo; r0 < hi; r0 += block {
		m := min(block, hi-r0)
		if g == 4 {
			kernels.DotU8S8Rows4(out[:4*m], qi, e.q.codes[r0*d:(r0+m)*d], d)
		} else {
			kernels.DotU8S8Rows(out[:m], qi, e.q.codes[r0*d:(r0+m)*d], d)
		}
		for i := range m {
			for j, t := range heaps {
				key := e.codeKey(out[i*g+j], scale[j], bias[j], r0+i)
				if key >= thr[j] {
					t.push(uint64(r0+i), key)
					thr[j] = t.threshold()
				}
			}
		}
	}
}

// codeKey is a row's approximate key from its integer product s with a
// query of the given scale and bias: higher is better, q·x or, for L2,
// 2q·x-|x|² (|q|² being the same for every row).
func (e *Exact) codeKey(s int32, scale, bias float32, row int) float32 {
	if e.metric == L2 {
		return 2*(bias+scale*float32(s)) - e.q.norms[row]
	}
	return bias + scale*float32(s)
}

// scanCodesAbove returns the rows, not among have, whose approximate key
// is at least floor.
func (e *Exact) scanCodesAbove(qi []int8, scale, bias, floor float32, have []Result) []Result {
	const block = 1024
	d, n := e.dim, len(e.ids)
	seen := make(map[uint64]bool, len(have))
	for _, r := range have {
		seen[r.ID] = true
	}
	var extra []Result
	out := make([]int32, block)
	for r0 := 0; r0 < n; r0 += block {
		m := min(block, n-r0)
		kernels.DotU8S8Rows(out[:m], qi, e.q.codes[r0*d:(r0+m)*d], d)
		for i, s := range out[:m] {
			if key := e.codeKey(s, scale, bias, r0+i); key >= floor && !seen[uint64(r0+i)] {
				extra = append(extra, Result{ID: uint64(r0 + i), Score: key})
			}
		}
	}
	return extra
}

// rerank scores the candidate rows (IDs holding row numbers) with the
// float vectors and returns the best k as results. The caller holds mu.
func (e *Exact) rerank(q []float32, cands *topK, k int) []Result {
	t := newTopK(k)
	d := e.dim
	for _, c := range cands.items {
		r := int(c.ID)
		row := e.data[r*d : (r+1)*d]
		var key float32
		if e.metric == L2 {
			key = -l2sq(q, row)
		} else {
			key = dot(q, row)
		}
		t.push(e.ids[r], key)
	}
	return e.finish(t.sorted(), q)
}

// searchBatchQuantized answers the queries of SearchBatch through the
// codes, in the loop order of a matrix product: the rows in blocks that
// stay in cache, every query scored against a block (four at a time)
// before the next block is read, so the codes are read from memory once
// per batch rather than once per query. Row ranges are spread over the
// goroutines, each with its own heaps, merged at the end.
func (e *Exact) searchBatchQuantized(qs []float32, nq, k int) [][]Result {
	e.ensureCodes()
	e.mu.RLock()
	defer e.mu.RUnlock()
	out := make([][]Result, nq)
	n := len(e.ids)
	if n == 0 {
		return out
	}
	k = min(k, n)
	kc := min(n, max(int8Candidates*k, int8MinCandidates))
	d := e.dim
	// The queries, prepared: normalised floats, int8 forms, scales, biases.
	qf := append([]float32(nil), qs...)
	qi := make([]int8, nq*d)
	scale, bias := make([]float32, nq), make([]float32, nq)
	// On tiles (a fast kernel for 32 queries at once), 32 at a time, with
	// the query values in the range the tile kernel takes; else four.
	useTiles := kernels.HasDotU8S8Tile() && d%4 == 0
	top := 127
	if useTiles {
		top = kernels.TileQueryMax()
	}
	for j := range nq {
		v := qf[j*d : (j+1)*d]
		if e.metric == Cosine {
			normalize(v)
		}
		scale[j], bias[j] = e.q.sq.query(qi[j*d:(j+1)*d], v, top)
	}
	var tiles [][]int8
	if useTiles {
		for q := 0; q < nq; q += kernels.QueryTile {
			t := make([]int8, kernels.TileQueriesLen(d))
			kernels.PackU8S8Queries(t, qi[q*d:min(nq, q+kernels.QueryTile)*d], d)
			tiles = append(tiles, t)
		}
	}
	workers := max(1, min(e.workers(nq*n*d/4), n/1024+1))
	parts := make([][]*topK, workers)
	var wg sync.WaitGroup
	for w := range workers {
		parts[w] = make([]*topK, nq)
		for j := range nq {
			parts[w][j] = newTopK(kc)
		}
		lo, hi := n*w/workers, n*(w+1)/workers
		wg.Go(func() {
			if tiles != nil {
				e.scanTiles(tiles, scale, bias, lo, hi, parts[w])
				return
			}
			buf := make([]int32, 4*1024)
			// Blocks of rows small enough to stay in L2 with their scores.
			block := max(64, (256<<10)/max(1, d))
			for r0 := lo; r0 < hi; r0 += block {
				r1 := min(hi, r0+block)
				for q := 0; q < nq; q += 4 {
					g := min(4, nq-q)
					if g < 4 {
						g = 1
					}
					for q1 := q; q1 < min(q+4, nq); q1 += g {
						m := min(g, nq-q1)
						e.scanCodes(qi[q1*d:(q1+m)*d], scale[q1:q1+m], bias[q1:q1+m], r0, r1, parts[w][q1:q1+m], buf)
					}
				}
			}
		})
	}
	wg.Wait()
	cands := make([]*topK, nq)
	for j := range nq {
		cands[j] = parts[0][j]
		for _, p := range parts[1:] {
			cands[j].merge(p[j])
		}
	}
	if tiles != nil {
		e.widenTiles(tiles, cands, qf, qi, scale, bias, k, workers)
	}
	// The rest of each query, the queries spread over the goroutines.
	var next atomic.Int64
	for range workers {
		wg.Go(func() {
			for j := int(next.Add(1) - 1); j < nq; j = int(next.Add(1) - 1) {
				v, vi := qf[j*d:(j+1)*d], qi[j*d:(j+1)*d]
				if tiles == nil {
					e.widen(cands[j], vi, scale[j], bias[j], e.q.sq.margin(v, vi, scale[j]), k)
				}
				out[j] = e.rerank(v, cands[j], k)
			}
		})
	}
	wg.Wait()
	return out
}

// widenTiles is widen for a batch scored on tiles: the rows above each
// query's floor that its candidates lack are found in one more pass of
// the tiles over the codes, every query that needs one at once, with the
// floors as integer thresholds, the rows split between the goroutines.
// The caller holds mu.
func (e *Exact) widenTiles(tiles [][]int8, cands []*topK, qf []float32, qi []int8, scale, bias []float32, k, workers int) {
	const T = kernels.QueryTile
	d, nq, n := e.dim, len(cands), len(e.ids)
	floors := make([]float32, nq)
	need := make([]bool, nq)
	have := make([]map[uint64]bool, nq)
	anyNeed := false
	for j := range nq {
		v, vi := qf[j*d:(j+1)*d], qi[j*d:(j+1)*d]
		floors[j], need[j] = e.widenFloor(cands[j], e.q.sq.margin(v, vi, scale[j]), k)
		if need[j] {
			anyNeed = true
			have[j] = make(map[uint64]bool, len(cands[j].items))
			for _, c := range cands[j].items {
				have[j][c.ID] = true
			}
		}
	}
	if !anyNeed {
		return
	}
	extra := make([][][]Result, workers)
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := n*w/workers, n*(w+1)/workers
		extra[w] = make([][]Result, nq)
		wg.Go(func() {
			ts := newTileScratch()
			for g, qt := range tiles {
				q0 := g * T
				q1 := min(nq, q0+T)
				if !slices.Contains(need[q0:q1], true) {
					continue
				}
				for r0 := lo; r0 < hi; r0 += tileRows {
					e.scanTile(ts, qt, q0, q1, r0, min(hi, r0+tileRows), scale, bias,
						func(q int) (float32, bool) { return floors[q], need[q] },
						func(q, row int, key float32) {
							if key >= floors[q] && !have[q][uint64(row)] {
								extra[w][q] = append(extra[w][q], Result{ID: uint64(row), Score: key})
							}
						})
				}
			}
		})
	}
	wg.Wait()
	for j := range nq {
		for w := range workers {
			cands[j].items = append(cands[j].items, extra[w][j]...)
		}
	}
}

// tileRows is the number of rows scanTiles scores per tile of queries
// before it compares them with the queries' thresholds, which it then
// refreshes: 32 KiB of scores.
const tileRows = 256

// scanTiles offers rows [lo, hi) to heaps (one per query, the queries
// packed 32 to a tile in tiles) keyed by their approximate scores, as
// scanCodes does, scoring each tile of queries against a block of rows at
// once. A score is turned into a key only when it reaches its query's
// threshold brought to an integer (intThreshold), which AtLeast32 checks
// for 32 queries in two instructions. The caller holds mu.
func (e *Exact) scanTiles(tiles [][]int8, scale, bias []float32, lo, hi int, heaps []*topK) {
	const T = kernels.QueryTile
	ts := newTileScratch()
	// Rows in blocks that stay in L2, every tile of queries against a block.
	block := max(tileRows, (256<<10)/e.dim/tileRows*tileRows)
	for b0 := lo; b0 < hi; b0 += block {
		b1 := min(hi, b0+block)
		for g, qt := range tiles {
			q0 := g * T
			q1 := min(len(heaps), q0+T)
			for r0 := b0; r0 < b1; r0 += tileRows {
				e.scanTile(ts, qt, q0, q1, r0, min(b1, r0+tileRows), scale, bias,
					func(q int) (float32, bool) { return heaps[q].threshold(), true },
					func(q, row int, key float32) {
						if t := heaps[q]; key >= t.threshold() {
							t.push(uint64(row), key)
						}
					})
			}
		}
	}
}

// tileScratch is scanTile's scratch space: the scores of tileRows rows
// against a tile of queries, their masks and the queries' thresholds.
type tileScratch struct {
	s     []int32
	masks []uint32
	th    [kernels.QueryTile]int32
	// The queries' key floors (+Inf for a query skipped), scales and
	// biases, for refineL2.
	floor, scale, bias [kernels.QueryTile]float32
}

func newTileScratch() *tileScratch {
	return &tileScratch{s: make([]int32, tileRows*kernels.QueryTile), masks: make([]uint32, tileRows)}
}

// scanTile scores rows [r0, r1) (at most tileRows) against the tile qt of
// queries q0..q1-1 and calls visit with every row whose score reaches its
// query's key floor brought to an integer (intThreshold); floor(q) gives
// it, or false to skip the query. visit gets the row's approximate key and
// checks it against the floor itself. The caller holds mu.
func (e *Exact) scanTile(ts *tileScratch, qt []int8, q0, q1, r0, r1 int, scale, bias []float32, floor func(q int) (float32, bool), visit func(q, row int, key float32)) {
	const T = kernels.QueryTile
	d, m := e.dim, r1-r0
	s := ts.s[:m*T]
	kernels.DotU8S8Tile(s, qt, e.q.codes[r0*d:r1*d], d)
	var minNorm float32
	if e.metric == L2 {
		minNorm = slices.Min(e.q.norms[r0:r1])
	}
	for j := range ts.th {
		ts.th[j], ts.floor[j], ts.scale[j], ts.bias[j] = math.MaxInt32, float32(math.Inf(1)), 0, 0
		if q := q0 + j; q < q1 {
			if f, ok := floor(q); ok {
				ts.th[j] = intThreshold(f, scale[q], bias[q], minNorm, e.metric == L2)
				ts.floor[j], ts.scale[j], ts.bias[j] = f, scale[q], bias[q]
			}
		}
	}
	kernels.AtLeast32(ts.masks[:m], s, ts.th[:])
	if e.metric == L2 {
		e.refineL2(ts, s[:m*T], r0)
	}
	for i, mk := range ts.masks[:m] {
		for mk != 0 {
			j := bits.TrailingZeros32(mk)
			mk &= mk - 1
			q := q0 + j
			visit(q, r0+i, e.codeKey(s[i*T+j], scale[q], bias[q], r0+i))
		}
	}
}

// refineL2 clears the bits of ts.masks (rows r0.. of the scores s) whose
// L2 key, computed as codeKey does, is below its query's floor. The
// integer thresholds assume the block's smallest norm, which on vectors of
// varied norms (raw pixels) lets most rows through, and a row and query
// costs far more through visit than in this loop over the 32 lanes.
func (e *Exact) refineL2(ts *tileScratch, s []int32, r0 int) {
	const T = kernels.QueryTile
	for i, mk := range ts.masks[:len(s)/T] {
		if mk == 0 {
			continue
		}
		n := e.q.norms[r0+i]
		row := s[i*T : i*T+T]
		var keep uint32
		for j := range T {
			if 2*(ts.bias[j]+ts.scale[j]*float32(row[j]))-n >= ts.floor[j] {
				keep |= 1 << j
			}
		}
		ts.masks[i] = mk & keep
	}
}

// intThreshold returns an integer score below which a row's key (see
// codeKey) is surely below thr, for a query of the given scale and bias:
// key = bias + scale*s, or for L2 2(bias + scale*s) - |x|², with |x|² at
// least minNorm. The margin covers float32 rounding in the keys.
func intThreshold(thr, scale, bias, minNorm float32, l2 bool) int32 {
	if math.IsInf(float64(thr), -1) || scale <= 0 {
		return math.MinInt32
	}
	t, b := float64(thr), float64(bias)
	if l2 {
		t = (t + float64(minNorm)) / 2
	}
	v := (t - b) / float64(scale)
	v -= 1e-5*(math.Abs(v)+math.Abs(b/float64(scale))) + 4
	return int32(max(math.MinInt32, min(math.MaxInt32, math.Floor(v))))
}

// ExactCodeBytes returns the memory of e's int8 codes and their norms, in
// bytes (0 before the first quantised search): for benchmarks.
func ExactCodeBytes(e *Exact) int { return e.codeBytes() }
