package index

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/lookalike/lookalike/kernels"
)

// HNSW defaults, as recommended by the paper and used by hnswlib.
const (
	DefaultM              = 16
	DefaultEfConstruction = 200
	DefaultEfSearch       = 64
)

const (
	hnswMaxLevel = 31   // levels are stored in a byte; M^31 nodes is plenty
	hnswStripes  = 1024 // neighbour-list locks, by node number modulo this

	// hnswNone marks an empty slot of a neighbour list. A list holds its
	// neighbours in its first slots; the rest are hnswNone.
	hnswNone = math.MaxUint32

	// hnswTouchMin is the size of the node records, in float32 values
	// (1 MiB, more than a core's L2 on most CPUs), from which a search
	// prefetches the vectors of a node's neighbours before computing their
	// distances, and the next candidate's list. Prefetches retire at once,
	// so they cost little even when the records are in L3: 16 MiB until
	// 2026-12-03, which left 8-d graphs of 59,000 nodes (9 MiB) 23%
	// slower at ef 10 on one thread (bench/RESULTS.md).
	hnswTouchMin = 1 << 18

	// hnswAlign is the node record alignment in float32 values: 64 bytes,
	// a cache line.
	hnswAlign = 16
)

// HNSWConfig holds the parameters of an [HNSW] graph. Zero fields take the
// defaults.
type HNSWConfig struct {
	// M is the number of links a node gets per layer when inserted, and the
	// most it keeps on layers above 0; layer 0 keeps up to 2*M. Default 16.
	M int
	// EfConstruction is the candidate list size while inserting. Default 200.
	EfConstruction int
	// EfSearch is the default candidate list size while searching, raised
	// to k when smaller. Default 64; see also [HNSW.SearchEf].
	EfSearch int
	// Seed seeds the random node levels. Graphs built by the same sequence
	// of single-worker insertions from the same seed are identical.
	Seed uint64
	// BuildWorkers is how many goroutines link the nodes of one AddBatch
	// call. Default 1, which keeps builds deterministic; more is faster but
	// the graph then depends on scheduling.
	BuildWorkers int
}

func (c HNSWConfig) withDefaults() HNSWConfig {
	if c.M == 0 {
		c.M = DefaultM
	}
	if c.EfConstruction == 0 {
		c.EfConstruction = DefaultEfConstruction
	}
	if c.EfSearch == 0 {
		c.EfSearch = DefaultEfSearch
	}
	if c.BuildWorkers == 0 {
		c.BuildWorkers = 1
	}
	return c
}

func (c HNSWConfig) validate() error {
	switch {
	case c.M < 2 || c.M > 1<<14:
		return fmt.Errorf("hnsw: M %d out of range [2, 16384]", c.M)
	case c.EfConstruction < 1:
		return fmt.Errorf("hnsw: EfConstruction %d < 1", c.EfConstruction)
	case c.EfSearch < 1:
		return fmt.Errorf("hnsw: EfSearch %d < 1", c.EfSearch)
	case c.BuildWorkers < 1:
		return fmt.Errorf("hnsw: BuildWorkers %d < 1", c.BuildWorkers)
	}
	return nil
}

// HNSW is an approximate nearest-neighbour index: a hierarchical navigable
// small world graph (Malkov and Yashunin, "Efficient and robust approximate
// nearest neighbor search using Hierarchical Navigable Small World graphs",
// 2018), with the heuristic neighbour selection of the paper's algorithm 4.
//
// An HNSW is safe for concurrent use. Searches run in parallel with each
// other and with the linking of new nodes: writers change neighbour lists
// under striped locks, with atomic stores, and searches read them with
// atomic loads and no lock. Writes (Add, Delete, Compact) are serialised.
//
// Memory layout: each node is one record of a single array, its vector
// then its layer-0 neighbour list, padded to whole cache lines; on Linux
// the array is backed by transparent huge pages where the kernel allows
// (madvise), which saves most TLB misses of the random accesses of a
// search. The visited set of a search is an array of 16-bit stamps reused
// from a pool.
//
// Deletion marks a node deleted: it is skipped in results but still routes
// searches, so recall does not drop. [HNSW.Compact] removes deleted nodes
// for good, repairing the links of their neighbours with the heuristic over
// the deleted nodes' own neighbours, without a rebuild.
//
// Scores and distances: internally lower is better (minus the dot product,
// or the squared Euclidean distance); results carry the scores described
// in the package documentation.
type HNSW struct {
	dim       int
	metric    Metric
	cfg       HNSWConfig
	m, m0     int
	levelMult float64
	efSearch  atomic.Int64

	wmu sync.Mutex   // serialises writers
	mu  sync.RWMutex // guards the node arrays' shape; see below

	// Guarded by mu: written under mu.Lock, read under mu.RLock.
	rng      *rand.Rand
	ids      []uint64
	levels   []uint8
	deleted  []bool
	nDeleted int
	nodeOf   map[uint64]uint32 // live nodes by ID

	// Node records: node i is data[i*stride : (i+1)*stride], its vector
	// (dim values) followed by its layer-0 neighbour list (m0 uint32 slots
	// stored in the float32 words) and padding to a whole number of cache
	// lines. Every vector starts on a cache line (big allocations are page
	// aligned), and the list a search expands lies next to the vector it
	// has just read to compute the node's distance.
	//
	// Neighbour lists (see hnswNone) are allocated under mu.Lock. Writers
	// change them under stripes[node%hnswStripes] with atomic stores;
	// searches read them without the stripe lock, with atomic loads (see
	// links).
	data   []float32
	stride int
	upper  [][]uint32 // layer l>0 of node i at upper[i][(l-1)*m : l*m]

	q quantState // int8 codes (hnsw_int8.go), guarded by mu

	entry   atomic.Uint64 // 0 when empty, else (level+1)<<32 | node
	topMu   sync.Mutex    // held while linking a node above the entry's level
	stripes [hnswStripes]sync.Mutex
	ctxs    sync.Pool // *searchCtx
}

// NewHNSW returns an empty graph of vectors of length dim compared by
// metric. With the Dot metric the graph still works but, inner product not
// being a distance, recall is usually lower than with Cosine or L2.
func NewHNSW(dim int, metric Metric, cfg HNSWConfig) (*HNSW, error) {
	if dim <= 0 {
		return nil, fmt.Errorf("new hnsw index: dimension %d: %w", dim, ErrDimMismatch)
	}
	if !metric.valid() {
		return nil, fmt.Errorf("new hnsw index: invalid metric %v", metric)
	}
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("new hnsw index: %w", err)
	}
	h := &HNSW{
		dim:       dim,
		metric:    metric,
		cfg:       cfg,
		m:         cfg.M,
		m0:        2 * cfg.M,
		levelMult: 1 / math.Log(float64(cfg.M)),
		stride:    (dim + 2*cfg.M + hnswAlign - 1) / hnswAlign * hnswAlign,
		rng:       rand.New(rand.NewPCG(cfg.Seed, 0x6c6f6f6b616c696b)),
		nodeOf:    make(map[uint64]uint32),
	}
	h.efSearch.Store(int64(cfg.EfSearch))
	return h, nil
}

// Dim returns the vector length.
func (h *HNSW) Dim() int { return h.dim }

// Metric returns the metric vectors are compared by.
func (h *HNSW) Metric() Metric { return h.metric }

// Config returns the graph's parameters, with EfSearch as currently set.
func (h *HNSW) Config() HNSWConfig {
	c := h.cfg
	c.EfSearch = int(h.efSearch.Load())
	return c
}

// SetEfSearch sets the default candidate list size of searches.
// Values below 1 are ignored.
func (h *HNSW) SetEfSearch(ef int) {
	if ef >= 1 {
		h.efSearch.Store(int64(ef))
	}
}

// Len returns the number of live (not deleted) vectors.
func (h *HNSW) Len() int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.nodeOf)
}

// Deleted returns the number of deleted nodes still in the graph, which
// [HNSW.Compact] removes.
func (h *HNSW) Deleted() int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.nDeleted
}

// Add inserts v under id. A vector already stored under id is deleted first.
func (h *HNSW) Add(id uint64, v []float32) error {
	return h.AddBatch([]uint64{id}, v)
}

// AddBatch inserts len(ids) vectors, concatenated in vecs, under ids, using
// up to BuildWorkers goroutines.
func (h *HNSW) AddBatch(ids []uint64, vecs []float32) error {
	if len(vecs) != len(ids)*h.dim {
		return fmt.Errorf("hnsw add: %d values for %d vectors of dim %d: %w", len(vecs), len(ids), h.dim, ErrDimMismatch)
	}
	p, err := prepare(vecs, h.dim, h.metric)
	if err != nil {
		return fmt.Errorf("hnsw add: %w", err)
	}
	h.addPrepared(ids, p)
	return nil
}

// addPrepared inserts vectors that are already validated and normalised.
func (h *HNSW) addPrepared(ids []uint64, vecs []float32) {
	if len(ids) == 0 {
		return
	}
	h.wmu.Lock()
	defer h.wmu.Unlock()
	if len(h.ids)+len(ids) >= math.MaxUint32 {
		panic("index: HNSW holds more than 2^32-1 nodes")
	}

	// Allocate the nodes under the write lock...
	h.mu.Lock()
	first := len(h.ids)
	oldData := h.data
	h.data = slices.Grow(h.data, len(ids)*h.stride)
	moved := cap(h.data) != cap(oldData)
	for i, id := range ids {
		if old, ok := h.nodeOf[id]; ok {
			h.deleted[old] = true
			h.nDeleted++
		}
		n := uint32(len(h.ids))
		lvl := h.randomLevel()
		h.ids = append(h.ids, id)
		h.appendNode(vecs[i*h.dim : (i+1)*h.dim])
		h.levels = append(h.levels, uint8(lvl))
		h.deleted = append(h.deleted, false)
		h.upper = append(h.upper, h.newUpper(lvl))
		h.nodeOf[id] = n
		if h.entry.Load() == 0 {
			h.entry.Store(packEntry(n, lvl))
		}
	}
	last := len(h.ids)
	if moved {
		adviseHugePages(h.data)
	}
	h.mu.Unlock()

	// ...and link them under the read lock, so searches go on meanwhile.
	// Only this goroutine writes (wmu), so the nodes cannot move.
	h.mu.RLock()
	defer h.mu.RUnlock()
	workers := min(h.cfg.BuildWorkers, runtime.GOMAXPROCS(0), last-first)
	if workers <= 1 {
		s := h.getCtx()
		for n := first; n < last; n++ {
			h.link(s, uint32(n))
		}
		h.putCtx(s)
		return
	}
	var next atomic.Int64
	next.Store(int64(first))
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			s := h.getCtx()
			for n := next.Add(1) - 1; n < int64(last); n = next.Add(1) - 1 {
				h.link(s, uint32(n))
			}
			h.putCtx(s)
		})
	}
	wg.Wait()
}

// randomLevel draws a node level from the exponential distribution of the
// paper, floor(-ln(U) * mL) with mL = 1/ln(M).
func (h *HNSW) randomLevel() int {
	u := 1 - h.rng.Float64() // (0, 1]
	return min(int(-math.Log(u)*h.levelMult), hnswMaxLevel)
}

func packEntry(n uint32, level int) uint64 { return uint64(level+1)<<32 | uint64(n) }

// loadEntry returns the entry point and top level; ok is false when the
// graph is empty.
func (h *HNSW) loadEntry() (n uint32, level int, ok bool) {
	e := h.entry.Load()
	if e == 0 {
		return 0, 0, false
	}
	return uint32(e), int(e>>32) - 1, true
}

// Delete marks the node stored under id deleted and reports whether there
// was one. The node keeps routing searches until [HNSW.Compact].
func (h *HNSW) Delete(id uint64) bool {
	h.wmu.Lock()
	defer h.wmu.Unlock()
	h.mu.Lock()
	defer h.mu.Unlock()
	n, ok := h.nodeOf[id]
	if !ok {
		return false
	}
	delete(h.nodeOf, id)
	h.deleted[n] = true
	h.nDeleted++
	return true
}

// Vector returns a copy of the vector stored under id.
func (h *HNSW) Vector(id uint64) ([]float32, bool) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	n, ok := h.nodeOf[id]
	if !ok {
		return nil, false
	}
	return append([]float32(nil), h.vec(n)...), true
}

// appendNode appends a node record holding v and empty lists to h.data.
func (h *HNSW) appendNode(v []float32) {
	o := len(h.data)
	h.data = slices.Grow(h.data, h.stride)[:o+h.stride]
	rec := h.data[o : o+h.stride]
	copy(rec, v)
	clear(rec[h.dim:])
	fillNone(h.list0(uint32(o / h.stride)))
}

// newUpper returns the empty lists of a node's layers 1..level.
func (h *HNSW) newUpper(level int) []uint32 {
	if level == 0 {
		return nil
	}
	up := make([]uint32, level*h.m)
	fillNone(up)
	return up
}

func fillNone(lst []uint32) {
	for i := range lst {
		lst[i] = hnswNone
	}
}

// listLen returns the number of neighbours in lst.
func listLen(lst []uint32) int {
	for i, e := range lst {
		if e == hnswNone {
			return i
		}
	}
	return len(lst)
}

// vec returns the vector of node n.
func (h *HNSW) vec(n uint32) []float32 {
	o := int(n) * h.stride
	return h.data[o : o+h.dim : o+h.dim]
}

// list0 returns the layer-0 neighbour slots of node n: the uint32 view of
// the words after its vector.
func (h *HNSW) list0(n uint32) []uint32 {
	o := int(n)*h.stride + h.dim
	s := h.data[o : o+h.m0 : o+h.m0] // slicing checks bounds, reads nothing
	return unsafe.Slice((*uint32)(unsafe.Pointer(unsafe.SliceData(s))), h.m0)
}

// vectors returns a copy of the nodes' vectors, concatenated.
func (h *HNSW) vectors() []float32 {
	out := make([]float32, 0, len(h.ids)*h.dim)
	for n := range h.ids {
		out = append(out, h.vec(uint32(n))...)
	}
	return out
}

// dist returns the internal distance of q to node n: lower is better.
func (h *HNSW) dist(q []float32, n uint32) float32 {
	if h.metric == L2 {
		return l2sq(q, h.vec(n))
	}
	return -dot(q, h.vec(n))
}

// dists sets out[i] to the internal distance of q to nodes[i], in one
// kernel call.
func (h *HNSW) dists(q []float32, nodes []uint32, out []float32) {
	if h.metric == L2 {
		kernels.L2SqRows(out, q, h.data, h.stride, nodes)
		return
	}
	kernels.DotRows(out, q, h.data, h.stride, nodes)
	for i := range out[:len(nodes)] {
		out[i] = -out[i]
	}
}

// score turns an internal distance into a result score.
func (h *HNSW) score(d float32) float32 {
	if h.metric == L2 {
		return float32(math.Sqrt(float64(max(0, d))))
	}
	return -d
}

// list returns the neighbour slots of node n on layer l. The caller
// holds the node's stripe lock, or mu.Lock.
func (h *HNSW) list(n uint32, l int) []uint32 {
	if l == 0 {
		return h.list0(n)
	}
	o := (l - 1) * h.m
	return h.upper[n][o : o+h.m : o+h.m]
}

// neighbours copies the neighbours of n on layer l into buf.
func (h *HNSW) neighbours(n uint32, l int, buf []uint32) []uint32 {
	mu := &h.stripes[n%hnswStripes]
	mu.Lock()
	s := h.list(n, l)
	buf = append(buf[:0], s[:listLen(s)]...)
	mu.Unlock()
	return buf
}

// links returns the neighbour slots of n on layer l, in place and without
// the stripe lock, for searches. The caller holds mu.RLock and reads the
// slots with atomic.LoadUint32, stopping at the first hnswNone: a
// concurrent insertion may be rewriting them (writers store with
// atomic.StoreUint32 under the stripe lock). A slot only ever holds a
// valid node or hnswNone, so a reader racing with a writer sees a mix of
// the old and the new list, which at worst costs a search some accuracy,
// never a wrong access.
func (h *HNSW) links(n uint32, l int) []uint32 { return h.list(n, l) }

// cand is a node with its distance to the current query.
type cand struct {
	d float32
	n uint32
}

func candCmp(a, b cand) int {
	switch {
	case a.d < b.d:
		return -1
	case a.d > b.d:
		return 1
	}
	return cmp.Compare(a.n, b.n)
}

// minHeap is a binary min-heap of candidates by distance.
type minHeap []cand

func (h *minHeap) push(c cand) {
	it := append(*h, c)
	i := len(it) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !(c.d < it[p].d) {
			break
		}
		it[i] = it[p]
		i = p
	}
	it[i] = c
	*h = it
}

func (h *minHeap) pop() cand {
	it := *h
	top := it[0]
	last := len(it) - 1
	x := it[last]
	it = it[:last]
	i := 0
	for {
		l := 2*i + 1
		if l >= len(it) {
			break
		}
		m := l
		if r := l + 1; r < len(it) && it[r].d < it[l].d {
			m = r
		}
		if !(it[m].d < x.d) {
			break
		}
		it[i] = it[m]
		i = m
	}
	if len(it) > 0 {
		it[i] = x
	}
	*h = it
	return top
}

// maxHeap is a binary max-heap of candidates by distance: the root is the
// farthest.
type maxHeap []cand

func (h *maxHeap) push(c cand) {
	it := append(*h, c)
	i := len(it) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !(c.d > it[p].d) {
			break
		}
		it[i] = it[p]
		i = p
	}
	it[i] = c
	*h = it
}

func (h *maxHeap) pop() cand {
	it := *h
	top := it[0]
	last := len(it) - 1
	x := it[last]
	it = it[:last]
	i := 0
	for {
		l := 2*i + 1
		if l >= len(it) {
			break
		}
		m := l
		if r := l + 1; r < len(it) && it[r].d > it[l].d {
			m = r
		}
		if !(it[m].d > x.d) {
			break
		}
		it[i] = it[m]
		i = m
	}
	if len(it) > 0 {
		it[i] = x
	}
	*h = it
	return top
}

// searchCtx is the scratch space of one search or insertion.
type searchCtx struct {
	marks    []uint16 // visited when marks[n] == epoch
	epoch    uint16
	cands    minHeap // nodes to expand
	res      maxHeap // the ef best nodes
	nbuf     []uint32
	dbuf     []float32 // distances of nbuf
	eps      []cand
	w        []cand
	sel      []cand
	prune    []cand
	prunesel []cand
	touch    uint32 // keeps the loads of searchLayer's first pass
	qz       quantQuery
	pf       [1]uint32 // the node searchLayer prefetches next
	keys     []uint64  // drainSorted's sort keys
}

func (h *HNSW) getCtx() *searchCtx {
	s, _ := h.ctxs.Get().(*searchCtx)
	if s == nil {
		s = &searchCtx{}
	}
	if n := len(h.ids); len(s.marks) < n {
		// 16-bit stamps (as hnswlib's) halve the set's cache footprint;
		// it is cleared once every 65,535 searches.
		s.marks = make([]uint16, n+n/4+64)
		adviseHugePages(s.marks)
		s.epoch = 0
	}
	return s
}

func (h *HNSW) putCtx(s *searchCtx) { h.ctxs.Put(s) }

// newEpoch clears the visited set.
func (s *searchCtx) newEpoch() {
	s.epoch++
	if s.epoch == 0 {
		clear(s.marks)
		s.epoch = 1
	}
}

// visit marks n visited and reports whether it was not before.
func (s *searchCtx) visit(n uint32) bool {
	if s.marks[n] == s.epoch {
		return false
	}
	s.marks[n] = s.epoch
	return true
}

// greedy walks layer l from ep to the node closest to q (ef = 1), scoring
// each node's neighbours in one kernel call.
func (h *HNSW) greedy(s *searchCtx, q []float32, ep cand, l int) cand {
	for changed := true; changed; {
		changed = false
		nb := h.links(ep.n, l)
		nbuf := s.nbuf[:0]
		for i := range nb {
			e := atomic.LoadUint32(&nb[i])
			if e == hnswNone {
				break
			}
			nbuf = append(nbuf, e)
		}
		s.nbuf = nbuf
		ds := s.dists(len(nbuf))
		h.searchDists(s, q, nbuf, ds)
		for i, d := range ds {
			if d < ep.d {
				ep, changed = cand{d, nbuf[i]}, true
			}
		}
	}
	return ep
}

// dists returns s.dbuf resized to n.
func (s *searchCtx) dists(n int) []float32 {
	if cap(s.dbuf) < n {
		s.dbuf = make([]float32, n, 2*n)
	}
	return s.dbuf[:n]
}

// searchLayer is the paper's algorithm 2: a best-first search of layer l
// from eps, leaving the ef closest nodes found in s.res. With skipDeleted,
// deleted nodes are expanded but not kept, and the search goes on until it
// has ef live candidates or runs out.
//
// Each expanded node's neighbours are first filtered through the visited
// set, then their distances are computed in a tight loop, so that the
// memory loads of consecutive vectors overlap.
func (h *HNSW) searchLayer(s *searchCtx, q []float32, eps []cand, ef, l int, skipDeleted bool) {
	s.newEpoch()
	s.cands = s.cands[:0]
	s.res = s.res[:0]
	skipDeleted = skipDeleted && h.nDeleted > 0
	for _, ep := range eps {
		if !s.visit(ep.n) {
			continue
		}
		s.cands.push(ep)
		if !skipDeleted || !h.deleted[ep.n] {
			s.res.push(ep)
			if len(s.res) > ef {
				s.res.pop()
			}
		}
	}
	marks, epoch := s.marks, s.epoch
	nbuf := s.nbuf
	data, stride := h.data, h.stride
	var touch uint32
	// Prefetching pays for data beyond L2 only; with codes, the
	// codes are what the distances read.
	bigData := len(data) >= hnswTouchMin && !s.qz.on
	codes, dim := h.q.codes, h.dim
	bigCodes := s.qz.on && len(codes) >= hnswTouchMin
	for len(s.cands) > 0 {
		c := s.cands.pop()
		if len(s.res) >= ef && c.d > s.res[0].d {
			break
		}
		if bigData && l == 0 && len(s.cands) > 0 {
			// The next candidate's list (after its vector), loading
			// while this one's neighbours are scored.
			s.pf[0] = s.cands[0].n
			kernels.PrefetchRows(data, stride, s.pf[:], h.dim)
		}
		nb := h.links(c.n, l)
		nbuf = nbuf[:0]
		for i := range nb {
			e := atomic.LoadUint32(&nb[i])
			if e == hnswNone {
				break
			}
			if marks[e] != epoch {
				marks[e] = epoch
				nbuf = append(nbuf, e)
				// Start loading the codes: the loads of all the
				// neighbours are then in flight at once.
				if bigCodes {
					touch ^= uint32(codes[int(e)*dim])
				}
			}
		}
		if bigData {
			// Start loading the vectors: the loads of all the
			// neighbours are then in flight at once.
			kernels.PrefetchRows(data, stride, nbuf, 0)
		}
		dbuf := s.dists(len(nbuf))
		h.searchDists(s, q, nbuf, dbuf)
		for i, e := range nbuf {
			d := dbuf[i]
			if len(s.res) < ef || d < s.res[0].d {
				s.cands.push(cand{d, e})
				if !skipDeleted || !h.deleted[e] {
					s.res.push(cand{d, e})
					if len(s.res) > ef {
						s.res.pop()
					}
				}
			}
		}
	}
	s.touch = touch
	s.nbuf = nbuf
}

// drainSorted empties s.res into dst, closest first, ties by node (as
// candCmp orders them). It sorts the candidates as integers (candKey), which
// is several times faster than through a comparison function: an
// insertion sorts efConstruction of them on every layer.
func (s *searchCtx) drainSorted(dst []cand) []cand {
	keys := s.keys[:0]
	for _, c := range s.res {
		keys = append(keys, candKey(c))
	}
	s.res = s.res[:0]
	slices.Sort(keys)
	dst = dst[:0]
	for _, k := range keys {
		dst = append(dst, keyCand(k))
	}
	s.keys = keys
	return dst
}

// candKey maps a candidate to an integer that orders as candCmp does: the
// distance's bits made to order as unsigned integers (negative floats
// flipped, positive ones with the sign bit set; -0 taken as +0), then the
// node.
func candKey(c cand) uint64 {
	d := c.d
	if d == 0 {
		d = 0 // -0 as +0: they are equal to candCmp
	}
	b := math.Float32bits(d)
	if b&(1<<31) != 0 {
		b = ^b
	} else {
		b |= 1 << 31
	}
	return uint64(b)<<32 | uint64(c.n)
}

// keyCand is candKey's inverse.
func keyCand(k uint64) cand {
	b := uint32(k >> 32)
	if b&(1<<31) != 0 {
		b &^= 1 << 31
	} else {
		b = ^b
	}
	return cand{math.Float32frombits(b), uint32(k)}
}

// selectNeighbours is the paper's algorithm 4 without candidate extension
// or kept pruned connections (as in hnswlib): walking the candidates
// closest first, keep one only if it is closer to the base than to every
// one kept so far, up to m. cands must be sorted closest first.
func (h *HNSW) selectNeighbours(cands []cand, m int, out []cand) []cand {
	out = out[:0]
	if len(cands) <= m {
		return append(out, cands...)
	}
	for _, c := range cands {
		if len(out) >= m {
			break
		}
		cv := h.vec(c.n)
		good := true
		for _, r := range out {
			if h.dist(cv, r.n) < c.d {
				good = false
				break
			}
		}
		if good {
			out = append(out, c)
		}
	}
	return out
}

// link connects node n, already allocated, into the graph (algorithm 1).
// The caller holds mu.RLock.
func (h *HNSW) link(s *searchCtx, n uint32) {
	level := int(h.levels[n])
	// A node that will be the new entry point is linked by one worker at
	// a time, with the others waiting here (as hnswlib does): two such
	// nodes linked at once would not link each other on the layers above
	// the old top, and one of them would be cut off from the searches.
	h.topMu.Lock()
	epn, top, ok := h.loadEntry()
	if level > top {
		defer h.topMu.Unlock()
	} else {
		h.topMu.Unlock()
	}
	if !ok || epn == n {
		return
	}
	q := h.vec(n)
	ep := cand{h.dist(q, epn), epn}
	for l := top; l > level; l-- {
		ep = h.greedy(s, q, ep, l)
	}
	s.eps = append(s.eps[:0], ep)
	for l := min(level, top); l >= 0; l-- {
		h.searchLayer(s, q, s.eps, h.cfg.EfConstruction, l, false)
		s.w = s.drainSorted(s.w)
		// Take the m0/m best that are not n itself (n is unreachable yet,
		// but a concurrent worker may already have linked to it).
		w := s.w[:0]
		for _, c := range s.w {
			if c.n != n {
				w = append(w, c)
			}
		}
		s.sel = h.selectNeighbours(w, h.m, s.sel)
		h.setNeighbours(s, n, l, s.sel)
		for _, c := range s.sel {
			h.addLink(s, c.n, n, c.d, l)
		}
		if len(w) > 0 { // the next layer starts from all of them
			s.eps = append(s.eps[:0], w...)
		}
	}
	if level > top {
		for {
			cur := h.entry.Load()
			if int(cur>>32)-1 >= level || h.entry.CompareAndSwap(cur, packEntry(n, level)) {
				break
			}
		}
	}
}

// setNeighbours sets the list of the new node n on layer l to sel. With
// several build workers, another worker may already have linked n to the
// nodes it is inserting (it reached n through the layer above); those
// links are kept, the list being re-selected with the heuristic if they
// do not all fit. Overwriting them (as this did before) cut the nodes
// being inserted off from n, and could leave a node with no incoming link,
// unreachable. hnswlib avoids this by holding the new node's lock for its
// whole insertion.
func (h *HNSW) setNeighbours(s *searchCtx, n uint32, l int, sel []cand) {
	mu := &h.stripes[n%hnswStripes]
	mu.Lock()
	defer mu.Unlock()
	lst := h.list(n, l)
	if c := listLen(lst); c > 0 {
		s.prune = append(s.prune[:0], sel...)
		nv := h.vec(n)
		for _, e := range lst[:c] {
			if !slices.ContainsFunc(sel, func(x cand) bool { return x.n == e }) {
				s.prune = append(s.prune, cand{h.dist(nv, e), e})
			}
		}
		slices.SortFunc(s.prune, candCmp)
		if len(s.prune) > len(lst) {
			s.prunesel = h.selectNeighbours(s.prune, len(lst), s.prunesel)
			sel = s.prunesel
		} else {
			sel = s.prune
		}
	}
	k := min(len(sel), len(lst))
	for i := 0; i < k; i++ {
		atomic.StoreUint32(&lst[i], sel[i].n)
	}
	for i := k; i < len(lst) && lst[i] != hnswNone; i++ {
		atomic.StoreUint32(&lst[i], hnswNone)
	}
}

// addLink adds to (at distance d) to the list of from on layer l, pruning
// the list with the heuristic when it is full.
func (h *HNSW) addLink(s *searchCtx, from, to uint32, d float32, l int) {
	mu := &h.stripes[from%hnswStripes]
	mu.Lock()
	defer mu.Unlock()
	lst := h.list(from, l)
	c := listLen(lst)
	for _, e := range lst[:c] {
		if e == to {
			return
		}
	}
	if c < len(lst) {
		atomic.StoreUint32(&lst[c], to)
		return
	}
	fv := h.vec(from)
	s.prune = append(s.prune[:0], cand{d, to})
	for _, e := range lst {
		s.prune = append(s.prune, cand{h.dist(fv, e), e})
	}
	slices.SortFunc(s.prune, candCmp)
	s.prunesel = h.selectNeighbours(s.prune, len(lst), s.prunesel)
	for i, e := range s.prunesel {
		atomic.StoreUint32(&lst[i], e.n)
	}
	for i := len(s.prunesel); i < len(lst); i++ {
		atomic.StoreUint32(&lst[i], hnswNone)
	}
}

// Search returns the k stored vectors best matching q, best first, with the
// default EfSearch. It panics if len(q) != Dim().
func (h *HNSW) Search(q []float32, k int) []Result {
	return h.SearchEf(q, k, int(h.efSearch.Load()))
}

// SearchEf is Search with a candidate list of ef nodes (raised to k when
// smaller): larger is slower and more accurate.
func (h *HNSW) SearchEf(q []float32, k, ef int) []Result {
	if len(q) != h.dim {
		panic(fmt.Sprintf("index: HNSW.Search: query of length %d, want %d", len(q), h.dim))
	}
	qq := append([]float32(nil), q...)
	if h.metric == Cosine {
		normalize(qq)
	}
	h.ensureCodes()
	h.mu.RLock()
	defer h.mu.RUnlock()
	s := h.getCtx()
	defer h.putCtx(s)
	return h.searchLocked(s, qq, k, ef)
}

// SearchBatch searches nq queries concatenated in qs, in parallel, with
// the default EfSearch. It panics if len(qs) != nq*Dim().
func (h *HNSW) SearchBatch(qs []float32, nq, k int) [][]Result {
	return h.SearchBatchEf(qs, nq, k, int(h.efSearch.Load()))
}

// SearchBatchEf is SearchBatch with a candidate list of ef nodes.
func (h *HNSW) SearchBatchEf(qs []float32, nq, k, ef int) [][]Result {
	if nq < 0 || len(qs) != nq*h.dim {
		panic(fmt.Sprintf("index: HNSW.SearchBatch: %d values for %d queries of dim %d", len(qs), nq, h.dim))
	}
	q := append([]float32(nil), qs...)
	if h.metric == Cosine {
		for i := 0; i < nq; i++ {
			normalize(q[i*h.dim : (i+1)*h.dim])
		}
	}
	out := make([][]Result, nq)
	h.ensureCodes()
	h.mu.RLock()
	defer h.mu.RUnlock()
	workers := min(runtime.GOMAXPROCS(0), (nq+7)/8)
	var next atomic.Int64
	work := func() {
		s := h.getCtx()
		defer h.putCtx(s)
		for i := int(next.Add(1) - 1); i < nq; i = int(next.Add(1) - 1) {
			out[i] = h.searchLocked(s, q[i*h.dim:(i+1)*h.dim], k, ef)
		}
	}
	if workers <= 1 {
		work()
		return out
	}
	var wg sync.WaitGroup
	for range workers {
		wg.Go(work)
	}
	wg.Wait()
	return out
}

// searchLocked answers one prepared query. The caller holds mu.RLock.
func (h *HNSW) searchLocked(s *searchCtx, q []float32, k, ef int) []Result {
	epn, top, ok := h.loadEntry()
	if !ok || k <= 0 || len(h.nodeOf) == 0 {
		return nil
	}
	ef = max(ef, k)
	h.prepareQuant(s, q)
	defer func() { s.qz.on = false }()
	s.nbuf = append(s.nbuf[:0], epn)
	ed := s.dists(1)
	h.searchDists(s, q, s.nbuf, ed)
	ep := cand{ed[0], epn}
	for l := top; l > 0; l-- {
		ep = h.greedy(s, q, ep, l)
	}
	s.w = append(s.w[:0], ep)
	h.searchLayer(s, q, s.w, ef, 0, true)
	s.w = append(s.w[:0], s.res...)
	s.res = s.res[:0]
	if s.qz.on {
		h.rerank(s, q, s.w)
	}
	// Closest first; equal distances (rare) by ID, as the exact index
	// orders them.
	slices.SortFunc(s.w, candCmp)
	for i := 0; i < len(s.w) && i < k; {
		j := i + 1
		for j < len(s.w) && s.w[j].d == s.w[i].d {
			j++
		}
		if j-i > 1 {
			slices.SortFunc(s.w[i:j], func(a, b cand) int { return cmp.Compare(h.ids[a.n], h.ids[b.n]) })
		}
		i = j
	}
	w := s.w[:min(k, len(s.w))]
	out := make([]Result, len(w))
	for i, c := range w {
		out[i] = Result{ID: h.ids[c.n], Score: h.score(c.d)}
	}
	return out
}
