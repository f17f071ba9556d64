package collection

import (
	"fmt"
	"path/filepath"
)

// Rankings searches ix with every embedding of a dataset whose images are
// also the entries of ix (an index built from the same folder) and returns,
// for each image, the dataset positions of its k nearest entries, without
// itself: the rankings that eval.FromRankings scores. ef > 0 sets an HNSW
// index's search breadth (raised to k). It fails if an entry of ix is not
// an image of the dataset, since the metrics would then be meaningless.
// root is the collection root that entry keys are relative to (see File).
func Rankings(ix Store, root string, emb []float32, paths []string, k, ef int) ([][]int, error) {
	pos := make(map[string]int, len(paths))
	for i, p := range paths {
		abs, err := filepath.Abs(p)
		if err != nil {
			return nil, err
		}
		pos[abs] = i
	}
	byID := make(map[uint64]int, ix.Len())
	for e := range ix.All() {
		i, ok := pos[File(root, e.Path)]
		if !ok {
			return nil, fmt.Errorf("the index holds %s, which is not in the evaluated data: index the same folder you evaluate", e.Path)
		}
		byID[e.ID] = i
	}
	if len(byID) != len(paths) {
		return nil, fmt.Errorf("the index holds %d of the %d evaluated images: index the same folder you evaluate", len(byID), len(paths))
	}
	dim := ix.Meta().Dim
	ef = max(ef, k+1)
	out := make([][]int, len(paths))
	const batch = 512
	for start := 0; start < len(paths); start += batch {
		end := min(start+batch, len(paths))
		res, err := ix.SearchBatchEf(emb[start*dim:end*dim], end-start, k+1, ef)
		if err != nil {
			return nil, err
		}
		for qi, rs := range res {
			q := start + qi
			ranked := make([]int, 0, k)
			for _, r := range rs {
				if i, ok := byID[r.ID]; ok && i != q && len(ranked) < k {
					ranked = append(ranked, i)
				}
			}
			out[q] = ranked
		}
	}
	return out, nil
}
