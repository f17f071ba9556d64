package index

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Compact removes the deleted nodes from the graph for good and returns how
// many it removed. Every live node that links to a deleted node on some
// layer gets its list on that layer re-selected, with the heuristic, from
// its live neighbours and the live neighbours of the deleted ones; then the
// nodes are renumbered. This costs time proportional to the links of the
// deleted nodes' neighbourhoods, much less than a rebuild. Searches wait
// while it runs.
func (h *HNSW) Compact() int {
	h.wmu.Lock()
	defer h.wmu.Unlock()
	return h.compactLocked()
}

// compactLocked is Compact; the caller holds wmu.
func (h *HNSW) compactLocked() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.nDeleted == 0 {
		return 0
	}
	n := len(h.ids)
	s := h.getCtx()
	defer h.putCtx(s)

	// Repair. Only live nodes' lists change, and candidates come from the
	// deleted nodes' lists, so the order of the walk does not matter.
	for u := range n {
		if h.deleted[u] {
			continue
		}
		un := uint32(u)
		uv := h.vec(un)
		for l := 0; l <= int(h.levels[u]); l++ {
			lst := h.list(un, l)
			nb := lst[:listLen(lst)]
			if !slices.ContainsFunc(nb, func(e uint32) bool { return h.deleted[e] }) {
				continue
			}
			s.newEpoch()
			s.visit(un)
			s.prune = s.prune[:0]
			add := func(e uint32) {
				if !h.deleted[e] && s.visit(e) {
					s.prune = append(s.prune, cand{h.dist(uv, e), e})
				}
			}
			for _, e := range nb {
				if !h.deleted[e] {
					add(e)
					continue
				}
				dl := h.list(e, l)
				for _, e2 := range dl[:listLen(dl)] {
					add(e2)
				}
			}
			slices.SortFunc(s.prune, candCmp)
			s.prunesel = h.selectNeighbours(s.prune, len(lst), s.prunesel)
			for i, c := range s.prunesel {
				lst[i] = c.n
			}
			fillNone(lst[len(s.prunesel):])
		}
	}

	// Renumber.
	newIdx := make([]uint32, n)
	live := 0
	for i := range n {
		if h.deleted[i] {
			newIdx[i] = math.MaxUint32
			continue
		}
		newIdx[i] = uint32(live)
		live++
	}
	// Live nodes move down in place: node i goes to newIdx[i] <= i.
	remap := func(lst []uint32) {
		k := 0
		for _, e := range lst[:listLen(lst)] {
			if ne := newIdx[e]; ne != math.MaxUint32 {
				lst[k] = ne
				k++
			}
		}
		fillNone(lst[k:])
	}
	ids := make([]uint64, 0, live)
	levels := make([]uint8, 0, live)
	upper := make([][]uint32, 0, live)
	for i := range n {
		if h.deleted[i] {
			continue
		}
		ni := uint32(i)
		remap(h.list0(ni))
		lv := int(h.levels[i])
		for l := 1; l <= lv; l++ {
			remap(h.list(ni, l))
		}
		if j := len(ids); j != i {
			copy(h.data[j*h.stride:(j+1)*h.stride], h.data[i*h.stride:(i+1)*h.stride])
		}
		ids = append(ids, h.ids[i])
		levels = append(levels, h.levels[i])
		upper = append(upper, h.upper[i])
	}
	data := h.data[:live*h.stride]
	if cap(data) > 2*len(data)+1024 {
		data = slices.Clone(data) // give back the memory of many removed nodes
		adviseHugePages(data)
	}
	removed := n - live
	epn, _, _ := h.loadEntry()
	h.entry.Store(0)
	if live > 0 {
		if ne := newIdx[epn]; ne != math.MaxUint32 {
			h.entry.Store(packEntry(ne, int(levels[ne])))
		} else {
			best := 0
			for i, lv := range levels {
				if lv > levels[best] {
					best = i
				}
			}
			h.entry.Store(packEntry(uint32(best), int(levels[best])))
		}
	}
	h.data, h.ids, h.levels, h.upper = data, ids, levels, upper
	h.dropCodes()
	h.deleted = make([]bool, live)
	h.nDeleted = 0
	clear(h.nodeOf)
	for i, id := range ids {
		h.nodeOf[id] = uint32(i)
	}
	return removed
}

// hnswGraph is a read-only view of a compacted graph for snapshots.
type hnswGraph struct {
	cfg    HNSWConfig
	levels []uint8
	entry  uint32
	top    int
	h      *HNSW
}

// neighbours appends the neighbours of node n on layer l to buf.
func (g *hnswGraph) neighbours(n uint32, l int, buf []uint32) []uint32 {
	return g.h.neighbours(n, l, buf)
}

// view compacts the graph and calls fn with the node IDs, a function
// returning the vector of node i, and the links, while holding the read
// lock; writers wait. fn must not keep or modify what it is given.
func (h *HNSW) view(fn func(ids []uint64, vec func(i int) []float32, g *hnswGraph) error) error {
	h.wmu.Lock()
	defer h.wmu.Unlock()
	h.compactLocked()
	h.mu.RLock()
	defer h.mu.RUnlock()
	g := &hnswGraph{cfg: h.Config(), levels: h.levels, h: h}
	g.entry, g.top, _ = h.loadEntry()
	return fn(h.ids, func(i int) []float32 { return h.vec(uint32(i)) }, g)
}

// restore fills an empty graph from a snapshot: node i has ID ids[i],
// vector vecs[i*dim:], level levels[i] and, on layer l, the neighbours
// links[off[i]+l]. It validates everything, so a damaged snapshot yields
// an error rather than a graph that panics later.
func (h *HNSW) restore(ids []uint64, vecs []float32, levels []uint8, links [][]uint32, entry uint32, top int) error {
	h.dropCodes()
	n := len(ids)
	if len(levels) != n || len(vecs) != n*h.dim {
		return fmt.Errorf("graph of %d nodes with %d levels and %d values", n, len(levels), len(vecs))
	}
	if n == 0 {
		if top != 0 || entry != 0 {
			return fmt.Errorf("empty graph with entry point %d", entry)
		}
		return nil
	}
	maxLevel := 0
	nlists := 0
	for _, lv := range levels {
		if lv > hnswMaxLevel {
			return fmt.Errorf("node level %d above %d", lv, hnswMaxLevel)
		}
		maxLevel = max(maxLevel, int(lv))
		nlists += int(lv) + 1
	}
	if len(links) != nlists {
		return fmt.Errorf("%d neighbour lists, want %d", len(links), nlists)
	}
	if int(entry) >= n || int(levels[entry]) != top || top != maxLevel {
		return fmt.Errorf("bad entry point %d at level %d (top level %d)", entry, top, maxLevel)
	}
	nodeOf := make(map[uint64]uint32, n)
	for i, id := range ids {
		if _, dup := nodeOf[id]; dup {
			return fmt.Errorf("duplicate id %d", id)
		}
		nodeOf[id] = uint32(i)
	}
	g := &HNSW{dim: h.dim, m: h.m, m0: h.m0, stride: h.stride}
	g.data = make([]float32, 0, n*h.stride)
	g.upper = make([][]uint32, n)
	k := 0
	for i := range n {
		lv := int(levels[i])
		g.appendNode(vecs[i*h.dim : (i+1)*h.dim])
		g.upper[i] = g.newUpper(lv)
		for l := 0; l <= lv; l++ {
			src := links[k]
			k++
			dst := g.list(uint32(i), l)
			if len(src) > len(dst) {
				return fmt.Errorf("node %d layer %d: %d neighbours, at most %d", i, l, len(src), len(dst))
			}
			for j, e := range src {
				if int(e) >= n || int(e) == i || int(levels[e]) < l {
					return fmt.Errorf("node %d layer %d: bad neighbour %d", i, l, e)
				}
				dst[j] = e
			}
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.ids, h.levels = ids, levels
	h.data, h.upper = g.data, g.upper
	adviseHugePages(h.data)
	h.deleted = make([]bool, n)
	h.nDeleted = 0
	h.nodeOf = nodeOf
	h.entry.Store(packEntry(entry, top))
	h.rng = rand.New(rand.NewPCG(h.cfg.Seed, uint64(n)))
	return nil
}
