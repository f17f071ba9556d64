package index

import (
	"slices"

	"github.com/lookalike/lookalike/kernels"
)

// int8 search of an HNSW graph (SetQuantize): the nodes' vectors are also
// kept as int8 codes (quantize.go), and a search walks the graph with the
// codes' approximate distances (integer products of the query's int8 form
// with the neighbours' codes, a quarter of the bytes to load per node),
// then re-ranks the ef nodes it found with the float vectors. The graph is
// built and repaired with the float vectors, as without codes.
//
// The codes follow the nodes lazily: a search first codes the nodes added
// since the last one, and the quantiser is fitted as for Exact (to the
// nodes present at the first search, again when the graph has grown
// tenfold, up to 100,000 nodes fitted on).

// SetQuantize turns int8 search on or off. Vectors of up to 32 dimensions
// stay on the float path, as in Exact.SetQuantize.
func (h *HNSW) SetQuantize(on bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.q = quantState{on: on && h.dim > smallDim}
}

// Quantized reports whether searches use the int8 codes.
func (h *HNSW) Quantized() bool {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.q.on
}

// codesBehind reports whether the codes must be (re)made before a
// search. The caller holds mu.
func (h *HNSW) codesBehind() bool {
	return h.q.on && len(h.ids) > 0 && (h.q.refit(len(h.ids)) || len(h.q.norms) < len(h.ids))
}

// ensureCodes fits the quantiser and codes the nodes that have none.
func (h *HNSW) ensureCodes() {
	h.mu.RLock()
	behind := h.codesBehind()
	h.mu.RUnlock()
	if !behind {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.codesBehind() {
		return
	}
	n, d := len(h.ids), h.dim
	refit := h.q.refit(n)
	if refit {
		fit := min(n, 100_000)
		vecs := make([]float32, 0, fit*d)
		for i := range fit {
			vecs = append(vecs, h.vec(uint32(i))...)
		}
		h.q.sq, h.q.fitAt = fitSQ8(vecs, d), n
		h.q.codes, h.q.norms = h.q.codes[:0], h.q.norms[:0]
	}
	h.q.codes = slices.Grow(h.q.codes, (n-len(h.q.norms))*d)
	for i := len(h.q.norms); i < n; i++ {
		h.q.codes = h.q.codes[:(i+1)*d]
		h.q.norms = append(h.q.norms, h.q.sq.encode(h.q.codes[i*d:], h.vec(uint32(i))))
	}
	if refit {
		h.q.sq.fitCodeVariance(h.q.codes, d)
	}
}

// quantizer returns the quantiser and the rows it was fitted at.
func (h *HNSW) quantizer() (*sq8, int) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.q.sq, h.q.fitAt
}

// setQuantizer installs sq (from a snapshot), when int8 search is on; the
// nodes are coded with it at the next search.
func (h *HNSW) setQuantizer(sq *sq8, fitAt int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.q.on {
		h.q.sq, h.q.fitAt = sq, fitAt
		h.dropCodes()
	}
}

// dropCodes forgets the codes (not the quantiser) after the nodes were
// renumbered. The caller holds mu.Lock.
func (h *HNSW) dropCodes() {
	h.q.codes, h.q.norms = h.q.codes[:0], h.q.norms[:0]
}

// quantQuery is a query's int8 form, for one search.
type quantQuery struct {
	on          bool
	qi          []int8
	scale, bias float32
	ibuf        []int32
}

// prepareQuant readies s for a search of q through the codes, when they
// cover every node (a node added since ensureCodes sends the search down
// the float path). The caller holds mu.RLock.
func (h *HNSW) prepareQuant(s *searchCtx, q []float32) {
	z := &s.qz
	z.on = h.q.on && h.q.sq != nil && len(h.q.norms) == len(h.ids)
	if !z.on {
		return
	}
	z.qi = slices.Grow(z.qi[:0], h.dim)[:h.dim]
	z.scale, z.bias = h.q.sq.query(z.qi, q, 127)
}

// searchDists is dists for a search: the codes' approximate distances when
// s is prepared for them (for L2 |x|² - 2q·x, |q|² being the same for
// every node), the float ones otherwise.
func (h *HNSW) searchDists(s *searchCtx, q []float32, nodes []uint32, out []float32) {
	z := &s.qz
	if !z.on {
		h.dists(q, nodes, out)
		return
	}
	if cap(z.ibuf) < len(nodes) {
		z.ibuf = make([]int32, len(nodes), 2*len(nodes))
	}
	ib := z.ibuf[:len(nodes)]
	kernels.DotU8S8RowsIdx(ib, z.qi, h.q.codes, h.dim, nodes)
	for i, v := range ib {
		key := z.bias + z.scale*float32(v)
		if h.metric == L2 {
			out[i] = h.q.norms[nodes[i]] - 2*key
		} else {
			out[i] = -key
		}
	}
}

// rerank replaces the approximate distances of the candidates in w by the
// float ones. The caller holds mu.RLock.
func (h *HNSW) rerank(s *searchCtx, q []float32, w []cand) {
	nodes := s.nbuf[:0]
	for _, c := range w {
		nodes = append(nodes, c.n)
	}
	s.nbuf = nodes
	ds := s.dists(len(nodes))
	h.dists(q, nodes, ds)
	for i := range w {
		w[i].d = ds[i]
	}
}

// HNSWCodeBytes returns the memory of h's int8 codes and their norms, in
// bytes (0 before the first quantised search): for benchmarks.
func HNSWCodeBytes(h *HNSW) int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.q.codes) + 4*len(h.q.norms)
}
