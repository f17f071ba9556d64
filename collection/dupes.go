package collection

import (
	"fmt"
	"slices"

	"github.com/lookalike/lookalike/index"
)

// DupesOptions configures Duplicates.
type DupesOptions struct {
	// Neighbours is how many nearest neighbours of each entry are checked
	// against the threshold (default 10): a group larger than that is still
	// found whole when its members are chained by close pairs.
	Neighbours int
	// Batch is the number of entries searched at once (default 1024).
	Batch int
}

// Duplicates returns the groups of entries that are near-duplicates: two
// entries belong together when their distance is below threshold, and
// groups are the connected sets of such pairs. The distance is 1 - cosine
// similarity for the Cosine metric, 1 - dot product for Dot, and the
// Euclidean distance for L2. Groups come largest first, members ordered by
// ID; each member's Score is its distance to its nearest neighbour in the
// group.
func Duplicates(ix Store, threshold float64, opt DupesOptions) ([][]Hit, error) {
	if threshold <= 0 {
		return nil, fmt.Errorf("dupes: threshold %g must be positive", threshold)
	}
	if opt.Neighbours <= 0 {
		opt.Neighbours = 10
	}
	if opt.Batch <= 0 {
		opt.Batch = 1024
	}
	ids := ix.IDs()
	pos := make(map[uint64]int, len(ids))
	for i, id := range ids {
		pos[id] = i
	}
	parent := make([]int, len(ids))
	for i := range parent {
		parent[i] = i
	}
	find := func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	nearest := make([]float64, len(ids))
	for i := range nearest {
		nearest[i] = -1
	}
	l2 := ix.Meta().Metric == index.L2
	dim := ix.Meta().Dim
	qs := make([]float32, 0, opt.Batch*dim)
	for start := 0; start < len(ids); start += opt.Batch {
		end := min(start+opt.Batch, len(ids))
		qs = qs[:0]
		for _, id := range ids[start:end] {
			e, ok := ix.Get(id)
			if !ok {
				return nil, fmt.Errorf("dupes: entry %d vanished while searching", id)
			}
			qs = append(qs, e.Vector...)
		}
		res, err := ix.SearchBatchEf(qs, end-start, opt.Neighbours+1, 0)
		if err != nil {
			return nil, fmt.Errorf("dupes: %w", err)
		}
		for qi, rs := range res {
			i := start + qi
			for _, r := range rs {
				j, ok := pos[r.ID]
				if !ok || j == i {
					continue
				}
				d := float64(r.Score)
				if !l2 {
					d = 1 - d
				}
				if d >= threshold {
					continue
				}
				if nearest[i] < 0 || d < nearest[i] {
					nearest[i] = d
				}
				if nearest[j] < 0 || d < nearest[j] {
					nearest[j] = d
				}
				if a, b := find(i), find(j); a != b {
					parent[a] = b
				}
			}
		}
	}
	byRoot := map[int][]Hit{}
	for i, id := range ids {
		if nearest[i] < 0 {
			continue
		}
		e, _ := ix.Get(id)
		r := find(i)
		byRoot[r] = append(byRoot[r], Hit{ID: id, Path: e.Path, Label: e.Label, Score: float32(nearest[i])})
	}
	groups := make([][]Hit, 0, len(byRoot))
	for _, g := range byRoot {
		slices.SortFunc(g, func(a, b Hit) int { return cmpID(a.ID, b.ID) })
		groups = append(groups, g)
	}
	sortGroups(groups)
	return groups, nil
}

func cmpID(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
